"""A deterministic model of korea.kr policy news: same arguments, same site, byte for byte."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .markup import esc
from .model import KST, WWW, ReplicaArticle, ReplicaAttachment, ReplicaImage, Site, download_url
from .vocab import EVENTS, GOALS, GROUPS, MINISTRIES, PLACES, PLANS, Ministry, josa

__all__ = ["ReplicaArticle", "Site", "build_site"]

FIRST_NEWS_ID = 148_900_000
ALL_TOPICS = tuple(dict.fromkeys(t for m in MINISTRIES for t in m.topics))
AUTHORS = ("대한민국 정책브리핑", "정책브리핑 편집팀", "정책기자단 김하늘", "정책기자단 이서준")


@dataclass(frozen=True, slots=True)
class Variation:
    """Which of the spec's page variations article number `i` (oldest = 0) carries.

    Chosen by index, not at random, so every site with enough articles has each of them.
    """

    ld_json: str
    og_suffix: bool
    images: int
    table: bool
    attachments: bool
    license_type: int | None
    license_text_only: bool
    subtitles: int
    contact: bool
    link_style: str
    pinned: bool
    title_kind: int

    @classmethod
    def for_index(cls, i: int) -> Variation:
        if i == 7:  # a third-party column: no KOGL mark at all
            license_type, text_only = None, False
        elif i % 10 == 4:
            license_type, text_only = 4, i % 20 == 14
        else:
            license_type, text_only = 1, True
        link_style = "jsession" if i % 17 == 4 else {1: "mobile", 2: "admin", 3: "www2"}.get(i % 6, "plain")
        return cls(
            ld_json="invalid" if i == 5 else "missing" if i % 7 == 3 else "ok",
            og_suffix=i % 2 == 0,
            images=0 if i % 3 else 2 if i % 6 == 0 else 1,
            table=i % 5 == 2,
            attachments=i % 4 == 1,
            license_type=license_type,
            license_text_only=text_only,
            subtitles=0 if i % 6 == 5 else 2 if i % 2 else 1,
            contact=i % 8 != 6,
            link_style=link_style,
            pinned=i % 13 == 0,
            title_kind=i % 9,
        )


def build_site(*, articles: int = 60, start: date, days: int = 5, seed: int = 1, press: int = 0,
               briefings: int = 0, facts: int = 0) -> Site:
    """`articles` policy-news articles spread over `days` days from `start` (KST dates), and as
    many press releases, briefings and fact-checks as asked for (see briefing_room.py)."""
    if articles < 1 or days < 1:
        raise ValueError(f"need at least one article and one day, got articles={articles} days={days}")
    rng = random.Random(seed)
    times = _publication_times(rng, articles, start, days)
    news_id = FIRST_NEWS_ID
    titles: set[str] = set()
    built = []
    for i, published_at in enumerate(times):
        news_id += rng.randint(3, 300)
        # A stream per article: one article's variations drawing more numbers never shift the next.
        article_rng = random.Random(f"{seed}:{i}")
        built.append(_article(article_rng, i, str(news_id), published_at, titles, seed))
    from .briefing_room import build_room  # it builds on this module's word helpers

    room = build_room(start=start, days=days, seed=seed, press=press, briefings=briefings, facts=facts)
    return Site(articles=tuple(built), start=start, days=days, seed=seed, press=room[0], briefings=room[1],
                facts=room[2])


def _publication_times(rng: random.Random, count: int, start: date, days: int) -> list[datetime]:
    per_day: list[int] = [0] * days
    for i in range(count):
        per_day[i * days // count] += 1
    times: list[datetime] = []
    for day_index, n in enumerate(per_day):
        day = start + timedelta(days=day_index)
        # Office hours, to the second; sorted so newsIds rise with time as on the real site.
        seconds = sorted(rng.sample(range(6 * 3600, 23 * 3600), n))
        midnight = datetime.combine(day, time(), tzinfo=KST)
        times.extend(midnight + timedelta(seconds=s) for s in seconds)
    return times


@dataclass(frozen=True, slots=True)
class _Words:
    """The words one article is written with."""

    ministry: Ministry
    topic: str
    other: str
    plan: str
    place: str
    event: str
    group: str
    goal: str

    @classmethod
    def draw(cls, rng: random.Random) -> _Words:
        ministry = rng.choice(MINISTRIES)
        topic = rng.choice(ministry.topics)
        return cls(ministry, topic, rng.choice([t for t in ALL_TOPICS if t != topic]), rng.choice(PLANS),
                   rng.choice(PLACES), rng.choice(EVENTS), rng.choice(GROUPS), rng.choice(GOALS))


def _article(rng: random.Random, i: int, news_id: str, published_at: datetime,
             titles: set[str], seed: int) -> ReplicaArticle:
    v = Variation.for_index(i)
    w = _Words.draw(rng)
    title = _title(rng, v.title_kind, w)
    # Titles are unique, so a crawler's (title, date, ministry) dedupe never merges two articles.
    for _ in range(20):
        if title not in titles:
            break
        w = _Words.draw(rng)
        title = _title(rng, v.title_kind, w)
    else:
        title = f"{title} ({len(titles) + 1}차)"
    titles.add(title)
    paragraphs = _paragraphs(rng, i, w, published_at)
    images = _images(rng, w, news_id, published_at, v.images, seed)
    contact = None
    if v.contact:
        contact = (f"{w.ministry.name} {rng.choice(w.ministry.departments)}"
                   f"({w.ministry.phone_prefix}-{rng.randint(1000, 9999)})")
    table = _table(rng, w) if v.table else ""
    attachments = _attachments(rng, w, i) if v.attachments else ()
    has_ld = v.ld_json == "ok"
    tags = (w.topic, *rng.sample([t for t in ALL_TOPICS if t != w.topic], rng.randint(1, 3)))
    return ReplicaArticle(
        news_id=news_id,
        section="policy",
        title=title,
        subtitles=tuple(_subtitle(rng, w) for _ in range(v.subtitles)),
        # Without usable ld+json the page gives only the date, so that is all a crawler can know.
        published_at=published_at if has_ld else published_at.replace(hour=0, minute=0, second=0),
        ministry=w.ministry.name,
        rep_code=w.ministry.rep_code,
        tags=tags if has_ld else (),
        license_type=v.license_type,
        license_text_only=v.license_text_only,
        images=images,
        attachments=attachments,
        contact=contact,
        body_paragraphs=tuple(paragraphs),
        body_html=_body_html(paragraphs, images, table, contact),
        author=rng.choice(AUTHORS) if has_ld else None,
        ld_json=v.ld_json,
        og_suffix=v.og_suffix,
        link_style=v.link_style,
        pinned=v.pinned,
    )


def _title(rng: random.Random, kind: int, w: _Words) -> str:
    n = rng.randint(2, 90)
    return (
        f"{w.topic} {w.plan} 발표…{n * 10}억 원 투입",
        f"[{w.ministry.short}] {w.topic} 현장 점검 나서",
        f"\"{w.topic}, 이제는 현장에서\"…{w.ministry.head} {w.place} 방문",
        f"{w.plan}: {w.topic}부터 {w.other}까지 한눈에",
        f"#{w.topic.replace(' ', '')} 캠페인 시작…{w.group} 참여 확대",
        f"{w.topic}·{w.other} 협력 강화 위한 {w.plan} 마련",
        f"Q&A로 보는 {w.topic} {w.plan}",
        f"{josa(w.group, '을/를')} 위한 {w.topic} 지원 {n}% 확대",
        f"{w.topic} 지원 '{n}곳 추가' 선정 결과 공개",
    )[kind]


def _subtitle(rng: random.Random, w: _Words) -> str:
    n = rng.randint(3, 40)
    return rng.choice((
        f"{w.group} 대상 {w.topic} 과제 {n}개 선정…{rng.randint(1, 12)}월부터 시행",
        f"{w.plan} 이행 점검 강화…{josa(w.goal, '을/를')} 목표로",
        f"{w.place} 등 {n}개 지역에 우선 적용",
        f"내년까지 {n * 100:,}억 원 투입해 {w.topic} 기반 마련",
    ))


def _sentences(rng: random.Random, w: _Words, day: date, count: int) -> list[str]:
    """`count` sentences about the article's topic; none repeats until every pattern is used."""
    m, t = w.ministry, w.topic
    n, pct = rng.randint(3, 60), rng.randint(5, 45)
    patterns = [
        f"{josa(m.name, '은/는')} {day.month}월 {day.day}일 {t} {josa(w.plan, '을/를')} 발표했다.",
        f"이번 {josa(w.plan, '은/는')} {josa(w.group, '이/가')} 현장에서 체감할 수 있는 과제 {n}개를 담았다.",
        f"정부는 {josa(t, '을/를')} 통해 {josa(w.goal, '을/를')} 이루겠다는 계획이다.",
        f"특히 {t} 분야의 규제를 개선하고 {w.group}의 의견을 적극 반영할 예정이다.",
        f"{josa(m.head, '은/는')} 이날 {w.place}에서 열린 {w.event}에 참석해 관계자들을 격려했다.",
        f"올해 {t} 관련 지원 규모는 {n * 100:,}억 원으로 지난해보다 {pct}% 늘었다.",
        f"{josa(m.name, '은/는')} 앞으로 {josa(w.other, '과/와')} 연계한 후속 과제도 차례로 내놓을 방침이다.",
        f"{w.group} {n + 7}곳을 대상으로 한 조사에서는 응답자의 {pct + 30}%가 제도 개선이 필요하다고 답했다.",
        f"{josa(t, '은/는')} {w.goal}의 핵심 수단으로 꼽힌다.",
        f"관계 부처는 {day.month}월까지 세부 실행계획을 마련해 현장에 적용할 계획이다.",
        f"{w.place} 지역에는 {t} 거점 {n % 12 + 3}곳이 새로 들어선다.",
        f"이와 함께 {w.group} 대상 설명회를 {n % 9 + 2}차례 열어 제도를 알릴 예정이다.",
        f"지원을 원하는 {josa(w.group, '은/는')} 누리집에서 신청서를 내려받아 제출하면 된다.",
        f"정부는 상반기 중 {t} 추진 실적을 점검하고 결과를 공개한다.",
        f"현장에서는 {t} 정책이 {josa(w.other, '과/와')} 함께 추진돼야 효과가 크다는 의견이 나왔다.",
    ]
    rng.shuffle(patterns)
    return [patterns[k % len(patterns)] for k in range(count)]


def _paragraphs(rng: random.Random, i: int, w: _Words, published_at: datetime) -> list[str]:
    sizes = [rng.randint(2, 3) for _ in range(rng.randint(3, 5))]
    sentences = iter(_sentences(rng, w, published_at.date(), sum(sizes)))
    paragraphs = [" ".join(next(sentences) for _ in range(size)) for size in sizes]
    # Fixed phrases on fixed articles, so search for particles and 2-character words has hits.
    if i % 4 == 0:
        paragraphs[0] += (" 정부는 제조 현장의 자율제조를 확산하기 위해 "
                          f"선도 공장 {rng.randint(5, 30)}곳을 새로 지정한다.")
    if i % 5 == 1:
        paragraphs[1] += (f" {josa(w.ministry.name, '은/는')} 내년 예산을 올해보다 "
                          f"{rng.randint(3, 20)}% 늘려 편성했다. 예산 집행 상황은 분기마다 점검한다.")
    if i % 3 == 1:
        paragraphs[-1] += " 현장에는 AI 기반 품질 검사와 안전 관리 시스템이 도입된다."
    quote = rng.choice(("현장의 목소리를 꼼꼼히 듣고 정책에 반영하겠다",
                        "국민이 변화를 체감할 때까지 끝까지 챙기겠다",
                        "관계 부처와 힘을 모아 속도감 있게 추진하겠다"))
    paragraphs.insert(len(paragraphs) - 1, f"{josa(w.ministry.head, '은/는')} \"{quote}\"고 말했다.")
    return paragraphs


def _images(rng: random.Random, w: _Words, news_id: str, published_at: datetime, count: int,
            seed: int) -> tuple[ReplicaImage, ...]:
    captions = rng.sample((
        f"{josa(w.ministry.head, '이/가')} {w.place}에서 열린 {w.event}에서 발언하고 있다. "
        f"(사진={w.ministry.name})",
        f"{w.topic} 현장 모습. (사진=연합뉴스)",
        f"{w.place}의 {w.topic} 거점 전경. (사진={w.ministry.name})",
    ), count)
    images = []
    for k, caption in enumerate(captions):
        digest = hashlib.sha256(f"{seed}:{news_id}:image:{k}".encode()).hexdigest()[:32]
        path = f"/newsWeb/resources/attaches/{published_at:%Y.%m}/{published_at:%d}/{digest}.jpg"
        images.append(ReplicaImage(WWW + path, caption))
    return tuple(images)


def _table(rng: random.Random, w: _Words) -> str:
    rows = "".join(
        f"<tr><td>{esc(group)}</td><td>{esc(w.topic)} {kind}</td><td>{rng.randint(5, 400):,}억 원</td></tr>"
        for group, kind in zip(rng.sample(GROUPS, 3), ("컨설팅", "시설 지원", "교육"), strict=True)
    )
    return (f'<table class="tb_type"><caption>{esc(w.topic)} 주요 지원 내용</caption>'
            '<thead><tr><th scope="col">구분</th><th scope="col">지원 내용</th>'
            f'<th scope="col">규모</th></tr></thead><tbody>{rows}</tbody></table>')


def _attachments(rng: random.Random, w: _Words, i: int) -> tuple[ReplicaAttachment, ...]:
    stem = f"{w.topic} {w.plan}(안)"
    names = [f"{stem}.hwpx", f"{stem}.pdf"] + ([f"사진 {rng.randint(1, 3)}.jpg"] if i % 8 == 1 else [])
    first_file_id = 210_000 + i * 10
    return tuple(
        ReplicaAttachment(name, download_url(first_file_id + k), name.rsplit(".")[-1])
        for k, name in enumerate(names)
    )


def _body_html(paragraphs: list[str], images: tuple[ReplicaImage, ...], table: str,
               contact: str | None) -> str:
    # Figures sit between paragraphs: image 1 after the first, the table after the second,
    # image 2 after the third (bodies always have at least four paragraphs).
    after: dict[int, list[str]] = {}
    for k, image in enumerate(images):
        src = image.url.removeprefix(WWW)
        after.setdefault(2 * k, []).append(
            f'<p style="text-align: center;"><span class="imageSpan"><img src="{src}"'
            f' alt="{esc(image.caption)}"></span><br>{esc(image.caption)}</p>')
    if table:
        after.setdefault(1, []).append(table)
    blocks = []
    for index, text in enumerate(paragraphs):
        blocks.append(f"<p>{esc(text)}</p>")
        blocks.extend(after.get(index, ()))
    if contact:
        blocks.append(f"<p>문의 : {esc(contact)}</p>")
    return "\n".join(blocks)
