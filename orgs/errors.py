class OrgError(Exception):
    """A refused change to an organization, team, permission or robot, with a message for the
    person (``field``: which input was wrong)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field
