"""The REST API's request parsers."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering a body nested too deeply for ``json`` with 400, not 500.

    DRF turns only ValueError into a ParseError; ``[[[[…`` past Python's recursion limit raises
    RecursionError, which would otherwise reach the client as an internal server error.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                "JSON parse error - the body nests arrays or objects too deeply."
            ) from None
