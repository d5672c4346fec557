"""One module per console page: its routes, what it reads and writes (through storage/), its template."""
