"""One exception for every change the school's rules refuse, with words for the person."""


class Refused(Exception):
    """A change that would break a rule (the last lead, a used code...): nothing was written.

    ``field`` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
