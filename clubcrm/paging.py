"""Paging long lists: one page of rows fetched with LIMIT/OFFSET and one COUNT, never the whole list.

A club with 100,000 members has thousands of tasks, messages and import refusals; a page that renders them all
takes seconds in the browser. Every list that can grow shows one page of these and a pager under it.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select

from clubcrm import formatting
from clubcrm.extensions import db

T = TypeVar("T")
U = TypeVar("U")

DEFAULT_SIZE = 50
# Even a page size set too high in the config renders no more than this many rows.
MAX_SIZE = 500


def number_from(raw: Any) -> int:
    """Read a requested page number: text, a number below 1 or nothing at all is page 1 (never an error)."""
    try:
        number = int(str(raw).strip())
    except (TypeError, ValueError):
        return 1
    return max(1, number)


def size_from(raw: Any) -> int:
    """Read a page size (from the config): a bad one is the default, a huge one MAX_SIZE."""
    try:
        size = int(raw)
    except (TypeError, ValueError):
        return DEFAULT_SIZE
    return min(max(1, size), MAX_SIZE)


def last_page(total: int, size: int) -> int:
    """The number of the last page of TOTAL rows (1 for none: an empty list still has its page)."""
    return max(1, -(-total // size))


@dataclass(frozen=True)
class Shown:
    """A page's numbers as the pager says them, formatted for the reader's locale."""

    first: str
    last: str
    total: str
    number: str
    pages: str


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list: its ITEMS, its NUMBER (from 1), the page SIZE and the TOTAL of the list."""

    items: list[T]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return last_page(self.total, self.size)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_row(self) -> int:
        """The 1-based position of the page's first row in the whole list (0 for an empty list)."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last_row(self) -> int:
        return (self.number - 1) * self.size + len(self.items)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def map(self, change: Callable[[T], U]) -> Page[U]:
        """The same page with each item changed by CHANGE."""
        return Page([change(item) for item in self.items], self.number, self.size, self.total)

    def shown(self) -> Shown:
        """The page's numbers formatted for the reader's locale ("1,234" in English, "1.234" in German)."""
        def text(n: int) -> str:
            return formatting.decimal(n, "#,##0")
        return Shown(text(self.first_row), text(self.last_row), text(self.total), text(self.number),
                     text(self.pages))


def nearest(number: int, total: int, size: int) -> int:
    """The valid page nearest to NUMBER for TOTAL rows: past the end is the last page."""
    return min(max(1, number), last_page(total, size))


def page_of(query: Select, number: int, size: int, *, total: int | None = None,
            scalars: bool = True) -> Page:
    """Fetch page NUMBER of QUERY (ordered, with a unique last sort key so that pages do not overlap): one COUNT
    (unless TOTAL is given), then one SELECT with LIMIT/OFFSET. SCALARS=False keeps rows of several entities."""
    size = size_from(size)
    if total is None:
        counted = query.order_by(None).subquery()
        total = db.session.scalar(select(func.count()).select_from(counted)) or 0
    number = nearest(number, total, size)
    window = query.limit(size).offset((number - 1) * size)
    result = db.session.execute(window)
    items = list(result.scalars()) if scalars else list(result.all())
    return Page(items, number, size, total)


def page_of_list(items: Sequence[T], number: int, size: int) -> Page[T]:
    """Page a list already held in memory (a stored report): only the page's rows go to the template."""
    size = size_from(size)
    number = nearest(number, len(items), size)
    start = (number - 1) * size
    return Page(list(items[start:start + size]), number, size, len(items))
