"""Export: only what changed is written, clashes never overwrite, licences and embargoes hold."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import frontmatter
import pytest
import yaml

from crawler.posts.export import ExportError, ExportItem, assign_filenames, export_posts
from crawler.posts.normalize import normalize
from crawler.posts.profile import Profile
from domain.article import KST, Article

NOW = datetime(2026, 5, 20, 12, 0, tzinfo=KST)


def item(
    external_id: str = "148900001",
    *,
    title: str = "청년 월세 지원 확대",
    body: str = "<p>본문이다.</p>",
    day: int = 12,
    license_type: int | None = 1,
    embargo_until: datetime | None = None,
    profile: Profile | None = None,
) -> ExportItem:
    article = Article(
        source="korea_kr",
        external_id=external_id,
        url=f"https://www.korea.kr/news/policyNewsView.do?newsId={external_id}",
        section="policy",
        title=title,
        published_at=datetime(2026, 5, day, 14, 5, tzinfo=KST),
        body_html=body,
        license_type=license_type,
        embargo_until=embargo_until,
    )
    return ExportItem(
        source=article.source,
        external_id=article.external_id,
        post=normalize(article, profile or Profile()),
        license_type=license_type,
        embargo_until=embargo_until,
    )


def posts(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((out / "_posts").iterdir())}


def all_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_export_writes_posts_and_a_second_run_writes_nothing(tmp_path: Path) -> None:
    items = [item("1", title="첫째 기사"), item("2", title="둘째 기사")]
    first = export_posts(items, tmp_path, now=NOW)
    assert (first.written, first.unchanged, first.skipped) == (2, 0, 0)
    assert sorted(path.name for path in first.paths) == sorted(posts(tmp_path))
    assert {name: data.decode() for name, data in posts(tmp_path).items()} == {
        i.post.filename: i.post.text for i in items
    }
    inodes = {path.name: path.stat().st_ino for path in first.paths}

    second = export_posts(items, tmp_path, now=NOW)
    assert (second.written, second.unchanged, second.skipped) == (0, 2, 0)
    assert {path.name: path.stat().st_ino for path in second.paths} == inodes


def test_only_the_changed_article_is_rewritten(tmp_path: Path) -> None:
    export_posts([item("1", title="첫째 기사"), item("2", title="둘째 기사")], tmp_path, now=NOW)
    before = posts(tmp_path)
    stat_before = {path.name: path.stat().st_ino for path in (tmp_path / "_posts").iterdir()}

    changed = item("2", title="둘째 기사", body="<p>고친 본문이다.</p>")
    result = export_posts([item("1", title="첫째 기사"), changed], tmp_path, now=NOW)

    assert (result.written, result.unchanged) == (1, 1)
    after = posts(tmp_path)
    differing = {name for name in after if after[name] != before.get(name)}
    assert differing == {changed.post.filename}
    assert after[changed.post.filename].decode() == changed.post.text
    unchanged_name = item("1", title="첫째 기사").post.filename
    assert (tmp_path / "_posts" / unchanged_name).stat().st_ino == stat_before[unchanged_name]


def test_a_retitled_article_replaces_its_old_file(tmp_path: Path) -> None:
    export_posts([item("1", title="첫째 기사"), item("2", title="둘째 기사")], tmp_path, now=NOW)
    retitled = item("2", title="둘째 기사 (수정)", day=13)
    result = export_posts([item("1", title="첫째 기사"), retitled], tmp_path, now=NOW)
    assert (result.written, result.unchanged, result.removed) == (1, 1, 1)
    assert sorted(posts(tmp_path)) == sorted(
        [item("1", title="첫째 기사").post.filename, retitled.post.filename]
    )


def test_a_hand_written_post_is_never_removed(tmp_path: Path) -> None:
    (tmp_path / "_posts").mkdir()
    mine = tmp_path / "_posts" / "2026-05-01-mine.md"
    mine.write_text("---\ntitle: mine\n---\nhello\n", encoding="utf-8")
    export_posts([item("1")], tmp_path, now=NOW)
    export_posts([item("1", title="다른 제목")], tmp_path, now=NOW)
    assert mine.exists() and len(posts(tmp_path)) == 2


@pytest.mark.parametrize("order", [("1", "2"), ("2", "1")])
def test_a_slug_clash_in_one_batch_gives_two_files_whatever_the_order(
    tmp_path: Path, order: tuple[str, str]
) -> None:
    by_id = {i: item(i, title="같은 제목", body=f"<p>기사 {i}</p>") for i in ("1", "2")}
    result = export_posts([by_id[i] for i in order], tmp_path, now=NOW)

    assert result.written == 2
    files = posts(tmp_path)
    plain = by_id["1"].post.filename
    assert set(files) == {plain, plain.removesuffix(".md") + "-korea-kr-2.md"}
    assert files[plain].decode() == by_id["1"].post.text  # the smaller id keeps the plain name
    assert "기사 2" in files[plain.removesuffix(".md") + "-korea-kr-2.md"].decode()


@pytest.mark.parametrize("order", [("1", "2"), ("2", "1")])
def test_a_slug_clash_across_runs_never_overwrites(tmp_path: Path, order: tuple[str, str]) -> None:
    by_id = {i: item(i, title="같은 제목", body=f"<p>기사 {i}</p>") for i in ("1", "2")}
    first, second = (by_id[i] for i in order)
    export_posts([first], tmp_path, now=NOW)
    export_posts([second], tmp_path, now=NOW)
    texts = sorted(data.decode() for data in posts(tmp_path).values())
    assert texts == sorted([by_id["1"].post.text, by_id["2"].post.text])

    # The first one owns the plain name from now on, also when both are exported together.
    again = export_posts([by_id["2"], by_id["1"]], tmp_path, now=NOW)
    assert (again.written, again.unchanged) == (0, 2)
    assert posts(tmp_path)[first.post.filename].decode() == first.post.text


def test_an_updated_article_keeps_its_own_file_in_a_clash(tmp_path: Path) -> None:
    export_posts([item("1", title="같은 제목"), item("2", title="같은 제목")], tmp_path, now=NOW)
    updated = item("2", title="같은 제목", body="<p>둘째 기사의 새 판</p>")
    result = export_posts([updated], tmp_path, now=NOW)
    assert (result.written, result.unchanged) == (1, 0)
    assert len(posts(tmp_path)) == 2
    assert result.paths[0].name.endswith("-korea-kr-2.md")


def test_a_file_that_belongs_to_no_article_is_never_touched(tmp_path: Path) -> None:
    mine = item("1")
    (tmp_path / "_posts").mkdir()
    handwritten = "---\ntitle: 손으로 쓴 글\n---\n\n본문\n"
    (tmp_path / "_posts" / mine.post.filename).write_text(handwritten, encoding="utf-8")

    result = export_posts([mine], tmp_path, now=NOW)
    assert (tmp_path / "_posts" / mine.post.filename).read_text(encoding="utf-8") == handwritten
    assert result.paths[0].name == mine.post.filename.removesuffix(".md") + "-korea-kr-1.md"


def test_licences_other_than_kogl_type_1_are_skipped_unless_asked(tmp_path: Path) -> None:
    items = [
        item("1", title="일유형"),
        item("4", title="사유형", license_type=4),
        item("0", title="없음", license_type=None),
    ]
    result = export_posts(items, tmp_path, now=NOW)
    assert (result.written, result.skipped) == (1, 2)
    assert list(posts(tmp_path)) == [items[0].post.filename]

    everything = export_posts(items, tmp_path, all_licenses=True, now=NOW)
    assert (everything.written, everything.unchanged, everything.skipped) == (2, 1, 0)


@pytest.mark.parametrize(
    ("embargo", "exported"),
    [
        (None, True),
        (NOW - timedelta(minutes=1), True),
        (NOW, True),
        (NOW + timedelta(minutes=1), False),
        (datetime(2026, 5, 20, 12, 1), False),  # naive: read as Seoul time
    ],
)
def test_embargo_is_respected(tmp_path: Path, embargo: datetime | None, exported: bool) -> None:
    for all_licenses in (False, True):
        result = export_posts(
            [item(embargo_until=embargo)], tmp_path / str(all_licenses), all_licenses=all_licenses, now=NOW
        )
        assert (result.written, result.skipped) == ((1, 0) if exported else (0, 1))


@pytest.mark.parametrize(
    "title",
    [
        "../../etc/passwd",
        "/abs",
        "..",
        ".hidden",
        "./.",
        "..\\..\\windows",
        "~/x",
        "%2e%2e%2fpasswd",
        "\x00",
        "",
    ],
)
def test_hostile_titles_stay_inside_posts(tmp_path: Path, title: str) -> None:
    out = tmp_path / "site"
    result = export_posts([item(title=title)], out, now=NOW)
    assert result.written == 1
    posts_dir = (out / "_posts").resolve()
    for path in all_files(tmp_path):
        assert path.resolve().parent == posts_dir
        assert not path.name.startswith(".")


def test_a_symlink_out_of_posts_is_never_written_through(tmp_path: Path) -> None:
    one = item()
    posts_dir = tmp_path / "site" / "_posts"
    posts_dir.mkdir(parents=True)
    outside = tmp_path / "outside.md"
    link = posts_dir / one.post.filename
    os.symlink(outside, link)

    # The link leads to a file that claims to be this article's post: refused, nothing written.
    claim = one.post.text.replace("본문이다.", "옛 본문")
    outside.write_text(claim, encoding="utf-8")
    with pytest.raises(ExportError, match="refusing"):
        export_posts([one], tmp_path / "site", now=NOW)
    assert outside.read_text(encoding="utf-8") == claim

    # A file of someone else's: left alone, the post goes to its own name.
    outside.write_text("elsewhere", encoding="utf-8")
    result = export_posts([one], tmp_path / "site", now=NOW)
    assert outside.read_text(encoding="utf-8") == "elsewhere"
    assert result.paths[0].parent == posts_dir and not result.paths[0].is_symlink()


def test_every_written_file_parses(tmp_path: Path) -> None:
    titles = ['[속보] "인용": 콜론 #해시', "yes", "2026-05-12", "- 목록", "---", "이모지 😀", "탭\t문자"]
    items = [item(str(n), title=title) for n, title in enumerate(titles)]
    export_posts(items, tmp_path, now=NOW)
    for it in items:
        text = (tmp_path / "_posts" / it.post.filename).read_text(encoding="utf-8")
        parsed = frontmatter.loads(text)
        assert parsed.metadata == it.post.front_matter
        lines = text.split("\n")
        assert yaml.safe_load("\n".join(lines[1 : lines.index("---", 1)])) == it.post.front_matter
        assert parsed.content.startswith('<p><img src="/assets/img/news.png"')


def test_no_temporary_files_are_left(tmp_path: Path) -> None:
    export_posts([item("1", title="하나"), item("2", title="둘")], tmp_path, now=NOW)
    assert all(not path.name.startswith(".") for path in all_files(tmp_path))


def test_export_needs_source_url_to_tell_owners_apart(tmp_path: Path) -> None:
    without = item(profile=Profile(extra_keys=("date",)))
    with pytest.raises(ExportError, match="source_url"):
        export_posts([without], tmp_path, now=NOW)
    assert not (tmp_path / "_posts").exists()


def test_long_titles_still_fit_a_file_name_when_suffixed(tmp_path: Path) -> None:
    title = " ".join(["가나다라마바사아자차"] * 12)
    items = [item("148900001", title=title), item("148900002", title=title)]
    result = export_posts(items, tmp_path, now=NOW)
    assert result.written == 2
    assert all(len(path.name.encode()) <= 255 for path in result.paths)
    assert result.paths[1].name.endswith("-korea-kr-148900002.md")


def test_assign_filenames_reads_owners_through_the_callback() -> None:
    a, b = item("1", title="같은 제목"), item("2", title="같은 제목")
    owners = {a.post.filename: str(b.post.front_matter["source_url"])}
    names = assign_filenames([a, b], owners.get)
    assert names[("korea_kr", "2")] == a.post.filename
    assert names[("korea_kr", "1")].endswith("-korea-kr-1.md")
