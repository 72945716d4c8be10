"""The domain: what an article is, how it is identified and how two copies of one merge.

It imports nothing of briefing's own; `crawler` and `storage` import it, never the reverse.
Public API: `Article` and its parts (domain.article), `merge`/`same_document` (domain.merge).
"""
