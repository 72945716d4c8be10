"""The web pages in a real headless Chromium (Selenium 4) against a real `briefing run` service.

The service crawls the korea.kr replica into a fresh database first (one crawl with a broken
article, so a run has failed items; one clean crawl). Every test then reads pages as a person
would, saves screenshots at desktop and phone width under its tmp_path, and ends by checking
that the browser sent no request to any host but 127.0.0.1 and logged no JavaScript error.

Set WEB_SCREENSHOTS=docs/screenshots to refresh the README's screenshots from these tests.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import create_engine, text

from domain.article import KST
from storage.db import normalize_url
from storage.search import query_words, search_text
from tests.crawl_helpers import REPO, briefing, briefing_env
from tests.replica.fixture import Replica

pytestmark = pytest.mark.slow

TOKEN = "web-test-token-0123456"
ARTICLES = 45  # more than two pages of 20
PAGE = 20
SEARCH_WORD = "자율제조"
WAIT = 60.0
LOCAL_HOSTS = {"127.0.0.1"}
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "devtools"}

try:
    import selenium  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true: the browser tests must run, but selenium is not installed", pytrace=False)
    pytest.skip("selenium is in the test extra: pip install -e '.[test]'", allow_module_level=True)
from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402


def _browser_paths() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    missing = "chromium" if not chromium else "chromedriver"
    message = f"{missing} not found: install the Debian packages chromium and chromium-driver"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true: the browser tests must run, but {message} (.ci/run installs them)")
    pytest.skip(message)


# --- the service under test ------------------------------------------------------------------


@contextlib.contextmanager
def _database(tmp: Path) -> Iterator[str]:
    """PostgreSQL (a fresh schema) when TEST_DATABASE_URL is set, else an SQLite file."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp / 'briefing.db'}"
        return
    base = normalize_url(base)
    schema = f"t_web_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@dataclass
class Service:
    url: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]
    site: Replica
    failed_run: int
    broken_id: str  # the news id that answered 404 in the first crawl
    truth: list[dict[str, Any]] = field(default_factory=list)

    def api(self, path: str, **params: Any) -> Any:
        response = httpx.get(self.url + path, params=params, timeout=10)
        response.raise_for_status()
        return response.json()

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-4000:]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    _browser_paths()
    tmp = tmp_path_factory.mktemp("web")
    today = datetime.now(KST).date()
    since, until = (today - timedelta(days=4)).isoformat(), today.isoformat()
    with (
        Replica.start(articles=ARTICLES, start=today - timedelta(days=4), days=5) as site,
        _database(tmp) as db_url,
    ):
        env = briefing_env(
            db_url,
            tmp / "data",
            site.url,
            BRIEFING_OBEY_ROBOTS="false",
            BRIEFING_API_TOKEN=TOKEN,
            BRIEFING_SCHEDULES=json.dumps({"korea_kr:policy": {"minutes": 1440, "jitter_seconds": 0}}),
            BRIEFING_CATCH_UP="false",
            BRIEFING_DEFAULT_WINDOW_DAYS="5",
            BRIEFING_SOURCES_FILE=str(tmp / "sources.toml"),
            BRIEFING_CRAWL_RETRIES="0",
        )
        truth = site.truth()
        broken = truth[len(truth) // 2]["news_id"]
        # First crawl: one article answers 404, so this run has a failed item to show.
        site.fault(broken, "status:404")
        briefing("crawl", "korea_kr:policy", "--since", since, "--until", until, env=env)
        site.fault(broken, None)
        second = briefing("crawl", "korea_kr:policy", "--since", since, "--until", until, env=env)
        assert second.returncode == 0, second.stderr[-2000:]

        log = tempfile.TemporaryFile()  # noqa: SIM115  # closed below
        process = subprocess.Popen(
            [sys.executable, "-m", "scheduler", "run", "--port", "0"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline().decode()
            if not line.startswith("SERVICE_URL "):
                log.seek(0)
                raise AssertionError(f"service did not start: {line!r}\n{log.read().decode()[-3000:]}")
            url = line.split()[1]
            runs = httpx.get(f"{url}/crawls", params={"limit": 100}, timeout=10).json()["items"]
            failed = min(r["id"] for r in runs)
            assert next(r for r in runs if r["id"] == failed)["counts"]["failed"] >= 1, runs
            yield Service(url, process, log, site, failed, broken, truth)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout:
                process.stdout.close()
            log.close()


# --- the browser -----------------------------------------------------------------------------


def _chrome(*, javascript: bool = True) -> WebDriver:
    chromium, driver_path = _browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",  # root in a container
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--lang=ko-KR",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-sync",
        "--disable-features=Translate,OptimizationHints,MediaRouter",
    ):
        options.add_argument(arg)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))


@pytest.fixture(scope="module")
def chrome(service: Service) -> Iterator[WebDriver]:
    driver = _chrome()
    try:
        yield driver
    finally:
        driver.quit()


class Browser:
    """One test's view of the shared Chromium: pages, screenshots, and the clean-run checks."""

    def __init__(self, driver: WebDriver, base: str, shots: Path) -> None:
        self.driver, self.base, self.shots = driver, base, shots
        self.requests: list[str] = []
        self.console: list[dict[str, Any]] = []
        self._drain()
        self.requests.clear()
        self.console.clear()

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def texts(self, css: str) -> list[str]:
        return [e.text.strip() for e in self.find_all(css)]

    def wait_for(self, what: str, check: Callable[[], Any], timeout: float = WAIT) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):  # the page may be reloading (meta refresh)
                value = check()
                if value:
                    return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; page:\n{self.driver.page_source[:3000]}")

    def shoot(self, name: str) -> None:
        """Full-page screenshots at desktop (1280) and phone (390) width."""
        for label, width, mobile in (("desktop", 1280, False), ("phone", 390, True)):
            metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": mobile}
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
            height = self.driver.execute_script("return document.documentElement.scrollHeight")
            metrics["height"] = max(600, min(int(height), 6000))
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
            shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
            path = self.shots / f"{name}-{label}.png"
            path.write_bytes(base64.b64decode(shot["data"]))
            if target := os.environ.get("WEB_SCREENSHOTS"):
                Path(target).mkdir(parents=True, exist_ok=True)
                shutil.copy(path, Path(target) / path.name)
        self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def _drain(self) -> None:
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                self.requests.append(message["params"]["request"]["url"])
            elif message.get("method") == "Network.webSocketCreated":
                self.requests.append(message["params"]["url"])
        self.console.extend(self.driver.get_log("browser"))

    def check_clean(self, *, refused: tuple[str, ...] = ()) -> None:
        """No request left 127.0.0.1, and the console shows no error.

        `refused`: paths the test expected to answer with an error status (Chromium logs every
        4xx document as a console error); any other failed load still counts.
        """
        self._drain()
        assert self.requests, "the performance log recorded no request at all"
        foreign = [
            url
            for url in self.requests
            if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).hostname not in LOCAL_HOSTS
        ]
        assert foreign == [], f"requests left 127.0.0.1: {foreign}"
        errors = [
            entry
            for entry in self.console
            if entry.get("level") == "SEVERE"
            and not (
                entry.get("source") == "network"
                and any(f"{self.base}{path} - " in entry.get("message", "") for path in refused)
            )
        ]
        assert errors == [], f"browser console errors: {errors}"


@pytest.fixture
def browser(chrome: WebDriver, service: Service, tmp_path: Path) -> Browser:
    chrome.delete_all_cookies()
    return Browser(chrome, service.url, tmp_path)


# --- what the pages must show ----------------------------------------------------------------


def _newest_first(truth: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(truth, key=lambda a: a["published_at"], reverse=True)


def _same_order(shown: list[str], expected: list[dict[str, Any]], count: int | None = None) -> bool:
    """`shown` titles are the first `count` of `expected`, newest first; articles published at the
    same moment (pages without a time of day) come in either order, as their storage ids decide."""
    when = {a["title"]: a["published_at"] for a in expected}
    window = expected[: len(expected) if count is None else count]
    return (
        len(shown) == len(window) == len(set(shown))
        and set(shown) <= set(when)
        and [when[t] for t in shown] == [a["published_at"] for a in window]
    )


def _matches(article: dict[str, Any], word: str) -> bool:
    indexed = search_text(
        article["title"],
        "\n".join(article["subtitles"]),
        article["body_html"],
        article["ministry"],
        " ".join(article["tags"]),
    ).lower()
    return all(w in indexed for w in query_words(word))


def _two_character_word(truth: list[dict[str, Any]]) -> str:
    """A two-character Hangul word in some titles but not most, so the search has to choose."""
    counts: dict[str, int] = {}
    for article in truth:
        for word in set(re.findall(r"(?<![가-힣])[가-힣]{2}(?![가-힣])", article["title"])):
            counts[word] = counts.get(word, 0) + 1
    found = sum(1 for _ in truth)
    choices = sorted(
        (w for w in counts if 0 < sum(_matches(a, w) for a in truth) <= min(PAGE, found // 2)),
        key=lambda w: (-counts[w], w),
    )
    assert choices, "the replica's titles have no usable two-character word"
    return choices[0]


def _search(browser: Browser, word: str) -> list[str]:
    box = browser.find("#q")
    box.clear()
    box.send_keys(word)
    box.submit()
    browser.wait_for("search results", lambda: word in browser.find("#found").text)
    return browser.texts(".article .title")


def test_articles_newest_first_and_korean_search(browser: Browser, service: Service) -> None:
    browser.open("/")
    newest = _newest_first(service.truth)
    assert _same_order(browser.texts(".article .title"), newest, PAGE)
    assert browser.find("#found").text.startswith(f"{len(service.truth)}건")
    browser.shoot("articles")

    expected = [a for a in newest if _matches(a, SEARCH_WORD)]
    assert expected, f"the replica has no article with {SEARCH_WORD}"
    assert _same_order(_search(browser, SEARCH_WORD), expected, PAGE)
    assert browser.find("#found").text.startswith(f"{len(expected)}건")
    browser.shoot("search")

    word = _two_character_word(service.truth)
    expected_short = [a for a in newest if _matches(a, word)]
    shown = _search(browser, word)
    assert _same_order(shown, expected_short)
    # The page and the API answer from the same search, in the same order.
    assert [item["title"] for item in service.api("/articles", q=word, limit=100)["items"]] == shown
    browser.check_clean()


def test_cursor_pages(browser: Browser, service: Service) -> None:
    browser.open("/")
    first = browser.texts(".article .title")
    browser.find("#next").click()
    browser.wait_for("the second page", lambda: "cursor=" in browser.driver.current_url)
    second = browser.texts(".article .title")
    browser.find("#next").click()
    browser.wait_for("the third page", lambda: browser.texts(".article .title") != second)
    third = browser.texts(".article .title")
    assert not browser.find_all("#next"), "the last page offers no next page"
    assert _same_order(first + second + third, _newest_first(service.truth))
    assert (len(first), len(second)) == (PAGE, PAGE)
    assert len(set(first + second + third)) == len(service.truth), "every article once"
    browser.check_clean()


def test_article_shows_the_post_as_the_blog_will(browser: Browser, service: Service) -> None:
    chosen = next(
        a for a in _newest_first(service.truth) if "<table" in a["body_html"] and a["license_type"] == 1
    )
    browser.open("/?" + httpx.QueryParams({"q": chosen["title"]}).__str__())
    browser.find_all(".article .title")[0].click()
    browser.wait_for("the article page", lambda: browser.find("h1.article-title").text == chosen["title"])

    card = browser.find("#front-matter")
    assert card.find_element(By.CSS_SELECTOR, ".fm-title").text == chosen["title"]
    feature = browser.find("#feature-text")
    assert feature.text.strip()  # the feature text as the profile writes it, rendered
    body = browser.find("#post-body")
    table = body.find_element(By.TAG_NAME, "table")
    assert table.find_elements(By.TAG_NAME, "td"), "the table keeps its cells"
    assert "공공누리 제1유형" in body.text  # the KOGL attribution
    assert "출처" in body.text
    assert not body.find_elements(By.TAG_NAME, "img"), "images are links: nothing loads from korea.kr"
    assert not body.find_elements(By.TAG_NAME, "script")

    download = browser.find("#download")
    post = httpx.get(download.get_attribute("href") or "", timeout=10)
    assert post.status_code == 200
    assert post.text.startswith("---\ntitle: ")
    assert "attachment" in post.headers["content-disposition"]
    assert browser.find_all(".revisions li"), "the revisions are listed"
    browser.shoot("article")
    browser.check_clean()


def test_sign_in_then_crawl_now_and_watch_the_run(browser: Browser, service: Service) -> None:
    browser.open("/web/sources")
    assert not browser.find_all("button.crawl-now"), "no action before signing in"
    assert "korea_kr:policy" in browser.find(".source h2").text
    browser.find(".notice a").click()

    browser.wait_for("the sign-in page", lambda: browser.find("#token"))
    browser.find("#token").send_keys("wrong-token")
    browser.find("#token").submit()
    browser.wait_for("the refusal", lambda: "토큰이 맞지 않습니다" in browser.find("main").text)
    browser.shoot("signin")
    browser.find("#token").send_keys(TOKEN)
    browser.find("#token").submit()
    browser.wait_for("the sources page", lambda: browser.find_all("button.crawl-now"))
    cookie = browser.driver.get_cookie("briefing_session")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    browser.shoot("sources")

    before = {r["id"] for r in service.api("/crawls", limit=100)["items"]}
    slow = _newest_first(service.truth)[0]["news_id"]
    service.site.fault(slow, "slow:4")  # the run lasts long enough to be watched while it runs
    try:
        browser.find("button.crawl-now").click()
        browser.wait_for("the run page", lambda: re.search(r"/web/runs/\d+$", browser.driver.current_url))
        run_id = int(browser.driver.current_url.rsplit("/", 1)[1])
        assert run_id not in before
        assert service.api(f"/crawls/{run_id}")["trigger"] == "web"
        assert browser.find("h1 .badge").text in ("대기", "진행 중")
        assert browser.find("#progress")
        browser.wait_for("the running state", lambda: browser.find("h1 .badge").text == "진행 중")
        assert "진행 중: 지금까지" in browser.find("#progress").text
        browser.shoot("run-progress")
        # No reload by the test: the page refreshes itself until the run ends.
        browser.wait_for("the run to finish", lambda: browser.find("h1 .badge").text == "완료")
    finally:
        service.site.fault(slow, None)
    assert not browser.find_all("#progress")
    assert f"확인 {ARTICLES}" in browser.find("main").text

    browser.open("/web/runs")
    row = browser.find(f"#run-{run_id}")
    assert "완료" in row.text
    browser.shoot("runs")
    browser.check_clean(refused=("/web/signin",))  # the wrong token's 401


def test_a_failed_run_shows_its_items(browser: Browser, service: Service) -> None:
    browser.open(f"/web/runs/{service.failed_run}")
    rows = browser.find_all(".failure")
    assert rows, "the failed items are listed"
    text = " ".join(r.text for r in rows)
    assert f"newsId={service.broken_id}" in text
    assert "404" in text
    browser.shoot("run-failed")
    browser.check_clean()


def test_docs_work_offline(browser: Browser, service: Service) -> None:
    browser.open("/docs")
    browser.wait_for("Swagger UI", lambda: browser.find_all(".opblock"))
    assert "/crawls" in browser.find(".swagger-ui").text
    browser.shoot("docs")
    browser.check_clean()


def test_reading_works_without_javascript(service: Service, tmp_path: Path) -> None:
    driver = _chrome(javascript=False)
    try:
        browser = Browser(driver, service.url, tmp_path)
        browser.open("/")
        expected = [a for a in _newest_first(service.truth) if _matches(a, SEARCH_WORD)]
        assert _same_order(_search(browser, SEARCH_WORD), expected, PAGE)
        browser.find_all(".article .title")[0].click()
        browser.wait_for("the article", lambda: browser.find("#post-body").text)
        browser.check_clean()
    finally:
        driver.quit()
