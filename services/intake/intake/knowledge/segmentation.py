"""Chinese words for the search: jieba (version pinned in pyproject) with a user dictionary of the system's
terms (`terms.txt`: 居住证, 制证机, 受理, 派出所, 流管站…), so that they stay whole words.

Articles are cut in search mode (long words and the shorter words inside them: 居住证 and 居住), queries in
accurate mode; both keep letters and digits (HP, 1020, VPN) and drop punctuation and filler words."""

import logging
import re
import threading
import time
from pathlib import Path

import jieba

TERMS = Path(__file__).with_name("terms.txt")
STOP_WORDS = frozenset(
    "的 了 是 在 和 与 或 也 就 都 而 及 着 吗 呢 吧 啊 呀 有 我 你 他 她 它 们 这 那 个 请 把 被 时 后".split()
)
_WORDLIKE = re.compile(r"\w", re.UNICODE)
_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def tokenizer() -> jieba.Tokenizer:
    """One tokenizer per process, its dictionary loaded on first use (about a second) or by `warm_up()`."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                made = jieba.Tokenizer()
                made.load_userdict(str(TERMS))
                _tokenizer = made
    return _tokenizer


def warm_up() -> float:
    """The dictionary loaded now, at start-up, rather than by the first request that cuts words (about a second
    here, several on a busy machine); returns the seconds it took."""
    started = time.perf_counter()
    list(tokenizer().cut("居住证"))  # consumed: `cut` is a generator, and does nothing until read
    return time.perf_counter() - started


def loaded() -> bool:
    """Whether this process holds its dictionary in memory already."""
    return _tokenizer is not None and bool(_tokenizer.initialized)


def _keep(word: str) -> str | None:
    word = word.strip().lower()
    if not word or not _WORDLIKE.search(word) or word in STOP_WORDS:
        return None
    return word


def index_words(*texts: str | None) -> str:
    """The words of `texts` for the stored tsvector, space-separated (each once per place it occurs)."""
    words: list[str] = []
    for text in texts:
        if text:
            words.extend(w for w in map(_keep, tokenizer().cut_for_search(text)) if w)
    return " ".join(words)


def query_words(query: str, limit: int = 32) -> list[str]:
    """The distinct words of a query, in order; single characters only when nothing longer was found."""
    words = list(dict.fromkeys(w for w in map(_keep, tokenizer().cut(query)) if w))
    longer = [w for w in words if len(w) > 1]
    return (longer or words)[:limit]


def tsquery(words: list[str]) -> str:
    """`to_tsquery('simple', …)` text matching any of `words`, each quoted as one lexeme."""
    quoted = ("'" + w.replace("\\", "\\\\").replace("'", "''") + "'" for w in words)
    return " | ".join(quoted)
