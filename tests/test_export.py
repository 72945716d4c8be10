"""Export: only what changed is written, clashes never overwrite, licences and embargoes hold."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import threading
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from tempfile import TemporaryDirectory

import frontmatter
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.posts.export import (
    LOCK_NAME,
    MANIFEST_NAME,
    ExportError,
    ExportItem,
    SkipReason,
    assign_filenames,
    export_posts,
    skipped_report,
)
from crawler.posts.normalize import normalize
from domain.article import KST, Article
from tests.factories import export_item
from tests.seed_profile import SEED_PROFILE

NOW = datetime(2026, 5, 20, 12, 0, tzinfo=KST)


# The seed blog's profile, and a title whose slug the filename tests spell out.
item = partial(export_item, title="청년 월세 지원 확대", profile=SEED_PROFILE)


def posts(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((out / "_posts").iterdir())}


def all_files(root: Path) -> list[Path]:
    """Every file export made, but for its own bookkeeping (manifest, lock) in the output folder."""
    return sorted(
        path for path in root.rglob("*") if path.is_file() and path.name not in (MANIFEST_NAME, LOCK_NAME)
    )


def snapshot(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file under `root` with its inode, modification time and bytes: equal means nothing written."""
    return {
        str(path.relative_to(root)): (path.stat().st_ino, path.stat().st_mtime_ns, path.read_bytes())
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


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
    assert [(s.external_id, s.title, s.reason) for s in result.skipped_items] == [
        ("4", "사유형", SkipReason.LICENCE),
        ("0", "없음", SkipReason.LICENCE),
    ]
    assert result.skipped_items[0].detail.startswith("KOGL type 4 (출처표시+상업적 이용금지+변경금지)")
    assert result.skipped_items[1].detail.startswith("no KOGL type stated")

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
        if not exported:
            (skipped,) = result.skipped_items
            assert skipped.reason is SkipReason.EMBARGO
            assert skipped.detail == "embargoed until 2026-05-20T12:01+09:00"


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

    # Even a link to a file that claims to be this article's post is left alone.
    claim = one.post.text.replace("본문이다.", "옛 본문")
    outside.write_text(claim, encoding="utf-8")
    result = export_posts([one], tmp_path / "site", now=NOW)
    assert outside.read_text(encoding="utf-8") == claim
    assert result.paths[0].parent == posts_dir and not result.paths[0].is_symlink()
    assert result.paths[0].name != one.post.filename and link.is_symlink()


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
    assert sorted(path.name for path in tmp_path.iterdir() if path.is_file()) == [LOCK_NAME, MANIFEST_NAME]


def test_export_does_not_need_source_url(tmp_path: Path) -> None:
    """Files belong to article ids (the manifest), so a profile without source_url exports fine."""
    dated = replace(SEED_PROFILE, extra_keys=("date",))
    a = item("1", title="같은 제목", profile=dated)
    b = item("2", title="같은 제목", body="<p>다른 본문</p>", profile=dated)
    assert export_posts([a, b], tmp_path, now=NOW).written == 2
    before = snapshot(tmp_path)
    assert export_posts([b, a], tmp_path, now=NOW).written == 0
    assert snapshot(tmp_path) == before


def test_long_titles_still_fit_a_file_name_when_suffixed(tmp_path: Path) -> None:
    title = " ".join(["가나다라마바사아자차"] * 12)
    items = [item("148900001", title=title), item("148900002", title=title)]
    result = export_posts(items, tmp_path, now=NOW)
    assert result.written == 2
    assert all(len(path.name.encode()) <= 255 for path in result.paths)
    assert result.paths[1].name.endswith("-korea-kr-148900002.md")


def test_assign_filenames_keeps_what_each_article_owns() -> None:
    a, b = item("1", title="같은 제목"), item("2", title="같은 제목")
    names = assign_filenames([a, b], {a.post.filename: ("korea_kr", "2")})
    assert names[("korea_kr", "2")] == a.post.filename
    assert names[("korea_kr", "1")].endswith("-korea-kr-1.md")


def test_assign_filenames_never_takes_a_foreign_name() -> None:
    a = item("1")
    suffixed = a.post.filename.removesuffix(".md") + "-korea-kr-1.md"
    names = assign_filenames([a], {}, taken=[a.post.filename, suffixed])
    assert names[("korea_kr", "1")] not in (a.post.filename, suffixed)
    assert names[("korea_kr", "1")].startswith(suffixed.removesuffix(".md") + "-")


def test_ids_that_slugify_alike_still_get_two_files(tmp_path: Path) -> None:
    items = [item("a_b", title="같은 제목"), item("a-b", title="같은 제목"), item("a.b", title="같은 제목")]
    result = export_posts(items, tmp_path, now=NOW)
    assert result.written == 3 and len(posts(tmp_path)) == 3


# --- duplicates, concurrency, idempotence (issue 13.4) ------------------------------------------


def duplicate(external_id: str, source: str = "korea_kr", body: str = "<p>본문이다.</p>") -> ExportItem:
    """The same item from another feed or under another id: same link, date and title."""
    article = Article(
        source=source,
        external_id=external_id,
        url="https://www.korea.kr/news/policyNewsView.do?newsId=148900001",
        section="policy",
        title="청년 월세 지원 확대",
        published_at=datetime(2026, 5, 12, 14, 5, tzinfo=KST),
        body_html=body,
        license_type=1,
    )
    return ExportItem(
        source=source,
        external_id=external_id,
        post=normalize(article, SEED_PROFILE),
        license_type=1,
        embargo_until=None,
    )


def test_two_articles_sharing_link_date_and_title_get_two_files(tmp_path: Path) -> None:
    a, b = duplicate("148900001"), duplicate("148900001", source="policy_feed", body="<p>피드 본문</p>")
    first = export_posts([a], tmp_path, now=NOW)
    second = export_posts([a, b], tmp_path, now=NOW)  # used to fail with ExportError, writing nothing
    assert (first.written, second.written, second.unchanged) == (1, 1, 1)
    files = posts(tmp_path)
    assert files[a.post.filename].decode() == a.post.text
    assert files[a.post.filename.removesuffix(".md") + "-policy-feed-148900001.md"].decode() == b.post.text
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["files"] == {
        a.post.filename: ["korea_kr", "148900001"],
        a.post.filename.removesuffix(".md") + "-policy-feed-148900001.md": ["policy_feed", "148900001"],
    }


POOL = [
    duplicate("1"),
    duplicate("2", body="<p>둘째</p>"),
    duplicate("1", source="feed_a", body="<p>피드</p>"),
    duplicate("a_b"),
    duplicate("a-b", body="<p>비슷한 id</p>"),
    item("3", title="다른 기사"),
]


@settings(max_examples=40, deadline=None)
@given(
    earlier=st.lists(st.lists(st.sampled_from(POOL), max_size=6), max_size=3),
    final=st.lists(st.sampled_from(POOL), min_size=1, max_size=8),
    data=st.data(),
)
def test_a_re_export_after_any_mix_of_duplicates_writes_nothing(
    earlier: list[list[ExportItem]], final: list[ExportItem], data: st.DataObject
) -> None:
    with TemporaryDirectory() as folder:
        out = Path(folder)
        for batch in earlier:
            export_posts(batch, out, now=NOW)
        export_posts(final, out, now=NOW)
        before = snapshot(out)
        again = export_posts(data.draw(st.permutations(final)), out, now=NOW)
        assert again.written == 0 and again.removed == 0
        assert snapshot(out) == before
        latest = {i.key: i for i in final}  # the same article twice: the later rendering counts
        on_disk = {text.decode() for text in posts(out).values()}
        assert {i.post.text for i in latest.values()} <= on_disk
        assert len({path.name for path in again.paths}) == len(latest)  # one file per article


def test_concurrent_exports_in_threads_take_turns(tmp_path: Path) -> None:
    items = [duplicate("1"), duplicate("2", body="<p>둘째</p>"), item("3", title="다른 기사")]
    start = threading.Barrier(6)
    results: list[object] = []

    def run() -> None:
        start.wait()
        try:
            results.append(export_posts(items, tmp_path, now=NOW))
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(not isinstance(result, Exception) for result in results), results
    assert sum(result.written for result in results) == 3  # type: ignore[attr-defined]
    assert len(posts(tmp_path)) == 3


def export_in_child(out: str, order: int) -> int:
    """Run in a separate process: export the same three posts, in a given order."""
    items = [duplicate("1"), duplicate("2", body="<p>둘째</p>"), item("3", title="다른 기사")]
    return export_posts(items if order else items[::-1], Path(out), now=NOW).written


def test_concurrent_exports_in_two_processes_take_turns(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        written = pool.starmap(export_in_child, [(str(tmp_path), 0), (str(tmp_path), 1)])
    assert sorted(written) == [0, 3]
    assert len(posts(tmp_path)) == 3
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert sorted(manifest["files"]) == sorted(posts(tmp_path))


def test_the_lock_is_held_while_exporting(tmp_path: Path) -> None:
    """With the folder's lock held elsewhere, an export waits instead of writing."""
    tmp_path.mkdir(exist_ok=True)
    done = threading.Event()
    with open(tmp_path / LOCK_NAME, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        worker = threading.Thread(target=lambda: (export_posts([item("1")], tmp_path, now=NOW), done.set()))
        worker.start()
        assert not done.wait(0.3)
        assert not (tmp_path / "_posts").exists()
        fcntl.flock(handle, fcntl.LOCK_UN)
    worker.join(5)
    assert done.is_set() and len(posts(tmp_path)) == 1


def test_a_folder_exported_before_the_manifest_is_adopted(tmp_path: Path) -> None:
    """Files an older briefing wrote (no manifest) are recognised by content or source_url."""
    kept, retitled = item("1", title="첫째 기사"), item("2", title="둘째 기사")
    export_posts([kept, retitled], tmp_path, now=NOW)
    (tmp_path / MANIFEST_NAME).unlink()
    before = snapshot(tmp_path / "_posts")

    renamed = item("2", title="둘째 기사 (수정)")
    result = export_posts([kept, renamed], tmp_path, now=NOW)
    assert (result.written, result.unchanged, result.removed) == (1, 1, 1)
    assert sorted(posts(tmp_path)) == sorted([kept.post.filename, renamed.post.filename])
    assert snapshot(tmp_path / "_posts")[kept.post.filename] == before[kept.post.filename]


def test_a_file_written_before_an_interrupted_manifest_write_is_adopted(tmp_path: Path) -> None:
    one = item("1")
    export_posts([one], tmp_path, now=NOW)
    (tmp_path / MANIFEST_NAME).write_text('{"version": 1, "files": {}}\n', encoding="utf-8")
    result = export_posts([one], tmp_path, now=NOW)
    assert (result.written, result.unchanged) == (0, 1)
    assert list(posts(tmp_path)) == [one.post.filename]


def test_a_damaged_manifest_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_NAME).write_text("{not json", encoding="utf-8")
    with pytest.raises(ExportError, match=r"\.briefing-manifest\.json cannot be read.*move it away"):
        export_posts([item("1")], tmp_path, now=NOW)
    assert not (tmp_path / "_posts").exists()


def test_skipped_report_lists_each_article_or_counts_each_reason(tmp_path: Path) -> None:
    items = [
        item("4", title="사유형", license_type=4),
        item("5", title="또 사유형", license_type=4),
        item("6", title="엠바고", embargo_until=NOW + timedelta(days=1)),
    ]
    result = export_posts(items, tmp_path, now=NOW)
    assert skipped_report(result.skipped_items, verbose=True) == [
        "skipped korea_kr/4 '사유형': KOGL type 4 (출처표시+상업적 이용금지+변경금지): "
        "only type 1 is exported without --all-licenses",
        "skipped korea_kr/5 '또 사유형': KOGL type 4 (출처표시+상업적 이용금지+변경금지): "
        "only type 1 is exported without --all-licenses",
        "skipped korea_kr/6 '엠바고': embargoed until 2026-05-21T12:00+09:00",
    ]
    assert skipped_report(result.skipped_items, verbose=False) == [
        "skipped (--verbose lists each article):",
        "  2  KOGL type 4 (출처표시+상업적 이용금지+변경금지): "
        "only type 1 is exported without --all-licenses",
        "  1  embargoed until 2026-05-21T12:00+09:00",
    ]
    assert skipped_report([], verbose=True) == []


def test_a_rename_interrupted_before_the_manifest_write_is_finished_later(tmp_path: Path) -> None:
    """The new file was written, the old one and the manifest not yet: the next export completes it."""
    old, renamed = item("1", title="옛 제목"), item("1", title="새 제목")
    export_posts([old], tmp_path, now=NOW)
    (tmp_path / "_posts" / renamed.post.filename).write_text(renamed.post.text, encoding="utf-8")
    result = export_posts([renamed], tmp_path, now=NOW)
    assert (result.written, result.unchanged, result.removed) == (0, 1, 1)
    assert list(posts(tmp_path)) == [renamed.post.filename]


def test_a_manifest_naming_a_file_outside_posts_is_refused(tmp_path: Path) -> None:
    victim = tmp_path / "victim.md"
    victim.write_text("keep me", encoding="utf-8")
    manifest = {"version": 1, "files": {"../victim.md": ["korea_kr", "1"]}}
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ExportError, match="not a briefing manifest"):
        export_posts([item("1")], tmp_path / "site", now=NOW)
    assert victim.read_text(encoding="utf-8") == "keep me"
