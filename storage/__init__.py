"""Persistence of kiezbot: SQLAlchemy 2 models, the unit of work that implements the dialog ports,
Alembic migrations and the loading of reference data (areas, Berlin's address list)."""
