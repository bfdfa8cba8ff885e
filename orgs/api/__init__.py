"""The REST API of organizations, teams, repository permissions and robot accounts (DRF)."""
