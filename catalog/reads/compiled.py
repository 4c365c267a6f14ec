"""Values querysets compiled once and run many times.

Building and compiling the ORM query of a list page was half of ``GET /v2/images?limit=25``
(bench/data.py profiles it) while the database ran it in a few percent. A ``CompiledQuery``
keeps what Django's compiler produced (the SQL, its parameters, the selected columns) and
runs it again as Django's ``values()`` iteration would: through the connection's cursor (so
the queries are logged and counted as any other), with the same column converters, into the
same dicts. A compiled query never changes; it is safe to share between threads.
"""

import threading
from collections.abc import Hashable

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet


class CompiledQuery:
    """The SQL of a ``values()`` queryset, compiled on the connection it reads from."""

    def __init__(self, queryset: QuerySet):
        query = queryset.query
        self.alias = queryset.db
        self.names = [*query.extra_select, *query.values_select, *query.annotation_select]
        compiler = query.get_compiler(using=self.alias)
        try:
            self.sql, self.params = compiler.as_sql()
        except EmptyResultSet:
            # Django runs nothing for a condition that can match no row (``in:`` of nothing).
            self.sql, self.params, self.fields = None, (), []
        else:
            self.fields = [column[0] for column in compiler.select[: compiler.col_count]]

    def rows(self) -> list[dict]:
        if self.sql is None:
            return []
        connection = connections[self.alias]
        # The converters of the connection that runs it (bound to its operations), as
        # SQLCompiler.get_converters finds them; the query itself is not kept (its memory).
        converters = []
        for position, expression in enumerate(self.fields):
            backend = connection.ops.get_db_converters(expression)
            functions = backend + expression.get_db_converters(connection)
            if functions:
                converters.append((position, (functions, expression)))
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params)
            rows = cursor.fetchall()
        names = self.names
        result = []
        for row in rows:
            if converters:
                row = list(row)
                for position, (functions, expression) in converters:
                    value = row[position]
                    for function in functions:
                        value = function(value, expression, connection)
                    row[position] = value
            result.append(dict(zip(names, row, strict=True)))
        return result


class CompiledCache:
    """Compiled queries by a key of everything their SQL depends on, the least recently
    used dropped beyond ``size``."""

    def __init__(self, size: int):
        self.size = size
        self._entries: dict[Hashable, CompiledQuery] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> CompiledQuery | None:
        with self._lock:
            compiled = self._entries.pop(key, None)
            if compiled is not None:
                self._entries[key] = compiled  # most recently used last
            return compiled

    def put(self, key: Hashable, compiled: CompiledQuery) -> None:
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = compiled
            while len(self._entries) > self.size:
                del self._entries[next(iter(self._entries))]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
