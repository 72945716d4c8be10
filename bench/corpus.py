"""Deterministic generated Korean articles for the storage and search figures.

Words follow a Zipf distribution over a vocabulary of real policy words (the test replica's)
and made-up words of 2 to 5 Hangul syllables, so queries can be picked by how common they are:
the first words are in almost every article, the last in a few dozen of 100,000, and words
outside the vocabulary in none. Particles stick to words as in real Korean text.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from domain.article import KST, Article

VOCABULARY = 20_000
FIRST_NEWS_ID = 200_000_000
# Common syllables; words made of them look like Korean to an n-gram index.
SYLLABLES = (
    "가각간강개거건검경고공과관광교구국군권규균근금기길나남내년노농능다단대도동두등라래력련령로론료류"
    "리마만매면명모목무문물미민바반발방배백법변보복본부분비사산상생서석선설성세소속수순시식신실심아안"
    "양어업여역연영예오온완외요용우운원위유육윤융은음의이인일임자작장재저전정제조종주준중증지직진질차"
    "착창채책처천청체초촉총추축출충취측치친침타탄태토통투특파판평포표품피필하학한할함합항해행향허현협"
    "형호화확환활회효후훈희"
)
PARTICLES = ("", "", "", "을", "를", "은", "는", "이", "가", "의", "에", "에서", "으로", "로", "과", "와",
             "도")
MINISTRIES = ("산업통상자원부", "국방부", "관세청", "기획재정부", "과학기술정보통신부", "고용노동부",
              "농림축산식품부", "행정안전부", "교육부", "보건복지부", "환경부", "국토교통부")


def _replica_words() -> list[str]:
    from tests.replica.vocab import EVENTS, GOALS, GROUPS, MINISTRIES, PLACES, PLANS

    words: list[str] = []
    for phrase in (*PLANS, *PLACES, *EVENTS, *GOALS, *GROUPS, *(t for m in MINISTRIES for t in m.topics)):
        words.extend(w for w in phrase.split() if w.isalpha())
    return list(dict.fromkeys(words))


@dataclass(frozen=True)
class Vocabulary:
    """Words in rank order (most common first) and the cumulative Zipf weights to draw them by."""

    words: tuple[str, ...]

    @classmethod
    def build(cls, size: int = VOCABULARY, seed: int = 7) -> Vocabulary:
        rng = random.Random(seed)
        words = dict.fromkeys(_replica_words())
        while len(words) < size:
            length = rng.choice((2, 2, 3, 3, 3, 4, 4, 5))
            words.setdefault("".join(rng.choice(SYLLABLES) for _ in range(length)), None)
        ranked = list(words)
        rng.shuffle(ranked)  # real words land at every rank, not only at the top
        return cls(tuple(ranked[:size]))

    @cached_property
    def cumulative(self) -> list[float]:
        return list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(self.words))))

    def rank(self, word: str) -> int:
        return self.words.index(word)


@dataclass(frozen=True)
class Corpus:
    vocabulary: Vocabulary
    seed: int = 11

    def articles(self, count: int, *, start: int = 0) -> Iterator[Article]:
        """Articles number `start` .. `start + count - 1`; the same numbers give the same articles."""
        for n in range(start, start + count):
            yield self.article(n)

    def article(self, n: int) -> Article:
        rng = random.Random(f"{self.seed}:{n}")
        words, weights = self.vocabulary.words, self.vocabulary.cumulative

        def sentence(k: int) -> str:
            drawn = rng.choices(words, cum_weights=weights, k=k)
            return " ".join(w + rng.choice(PARTICLES) for w in drawn) + "다."

        title = " ".join(rng.choices(words, cum_weights=weights, k=rng.randint(5, 9)))
        paragraphs = [" ".join(sentence(rng.randint(8, 14)) for _ in range(rng.randint(2, 4)))
                      for _ in range(rng.randint(4, 6))]
        ministry = MINISTRIES[n % len(MINISTRIES)]
        news_id = str(FIRST_NEWS_ID + n)
        return Article(
            source="korea_kr",
            external_id=news_id,
            url=f"https://www.korea.kr/news/policyNewsView.do?newsId={news_id}",
            section="policy",
            title=title,
            # About 100 articles a day, newest last, as a crawl over years would store them.
            published_at=datetime(2022, 1, 1, 9, tzinfo=KST) + timedelta(minutes=14 * n + rng.randint(0, 10)),
            body_html="\n".join(f"<p>{p}</p>" for p in paragraphs) + f"\n<p>문의 : {ministry}</p>",
            subtitles=(sentence(rng.randint(5, 9)),),
            ministry=ministry,
            rep_code=f"A{n % len(MINISTRIES):05d}",
            tags=tuple(rng.sample(words[:200], 3)),
            license_type=1,
            license_text_only=True,
            contact=f"{ministry} 정책과({n % 900 + 100}-{n % 9000 + 1000})",
            author="대한민국 정책브리핑",
        )


def corpus(seed: int = 11) -> Corpus:
    return Corpus(Vocabulary.build(), seed)
