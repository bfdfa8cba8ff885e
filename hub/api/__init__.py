"""The REST API (DRF) under /api/: Docker Hub's shapes for repositories, tags, stars, search."""
