"""Finding the neighbourhood office: address to QM area, the Vor-Ort-Büro's place and opening hours."""
