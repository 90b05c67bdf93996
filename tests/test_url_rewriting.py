"""URL rewriting is pure: these tests need no server."""

from __future__ import annotations

from sleeve.url_rewriting import UrlRewriter

REWRITER = UrlRewriter(
    ["http://up.test:8000", "https://api.discogs.com/"], "https://sleeve.test/x/"
)


def test_upstream_urls_move_to_sleeve_keeping_path_and_query() -> None:
    assert (
        REWRITER.url("http://up.test:8000/artists/1?page=2")
        == "https://sleeve.test/x/artists/1?page=2"
    )
    assert REWRITER.url("https://api.discogs.com/releases/1") == "https://sleeve.test/x/releases/1"
    assert REWRITER.url("https://api.discogs.com") == "https://sleeve.test/x"


def test_other_urls_and_lookalikes_stay() -> None:
    for value in (
        "https://i.discogs.com/abc.jpg",
        "https://api.discogs.com.evil.test/artists/1",
        "http://up.test:80001/artists/1",
        "see https://api.discogs.com/artists/1",
        "",
    ):
        assert REWRITER.url(value) == value


def test_bodies_are_rewritten_at_any_depth_without_touching_other_values() -> None:
    body = {
        "id": 1,
        "resource_url": "https://api.discogs.com/artists/1",
        "members": [{"resource_url": "http://up.test:8000/artists/2", "active": True}],
        "pagination": {"urls": {"next": "http://up.test:8000/artists/1/releases?page=2"}},
        "name": "http://up.test:8000 is not a URL field but is an upstream URL",
    }
    rewritten = REWRITER.body(body)
    assert rewritten["id"] == 1
    assert rewritten["resource_url"] == "https://sleeve.test/x/artists/1"
    assert rewritten["members"] == [
        {"resource_url": "https://sleeve.test/x/artists/2", "active": True}
    ]
    assert (
        rewritten["pagination"]["urls"]["next"] == "https://sleeve.test/x/artists/1/releases?page=2"
    )
    assert rewritten["name"] == body["name"]


def test_link_headers_keep_their_relations() -> None:
    header = (
        '<http://up.test:8000/a?page=2>; rel="next", <http://up.test:8000/a?page=9>; rel="last"'
    )
    assert REWRITER.link_header(header) == (
        '<https://sleeve.test/x/a?page=2>; rel="next", <https://sleeve.test/x/a?page=9>; rel="last"'
    )
