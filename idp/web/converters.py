"""URL converters: what a path variable may be before a view ever sees it.

Registered in :func:`idp.create_app` under werkzeug's own names (``int``, ``string``, the
default), before the blueprints, so that no route can forget them. A path that does not fit
matches no route and is answered 404, like any other address that names nothing.
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map, UnicodeConverter

# The largest id a row can have: every id column is an INTEGER, 32-bit signed on PostgreSQL.
# A larger number in a path would make PostgreSQL raise (out of range) and SQLite's driver too
# past 64 bits (OverflowError), instead of finding nothing.
MAX_ROW_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """``<int:…>``: a row id, ASCII digits from 1 to :data:`MAX_ROW_ID`.

    Not 0, not a number past the column's type, not the digits of another script (werkzeug's
    ``\\d`` takes ``١٢٣``).
    """

    regex = r"[0-9]+"

    # The parameter names are werkzeug's: a rule may still say ``<int(max=99):…>``.
    def __init__(
        self, map: Map, fixed_digits: int = 0, min: int = 1, max: int = MAX_ROW_ID
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max)


class PathSegmentConverter(UnicodeConverter):
    """``<name>`` and ``<string:name>``: one path segment without a control character.

    Tokens, actions and ministry keys are compared with stored values; PostgreSQL refuses a
    NUL byte in a query parameter, where SQLite would merely find nothing.
    """

    def __init__(
        self,
        map: Map,
        minlength: int = 1,
        maxlength: int | None = None,
        length: int | None = None,
    ) -> None:
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = self.regex.replace("[^/]", r"[^/\x00-\x1f\x7f]", 1)
