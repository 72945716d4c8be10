"""Crawling: site parsers (HTML in, Article out), Scrapy spiders, the normalizer and the storage pipeline.

Public API: `Article` (crawler.article), `parse_article` per site (crawler.sites.<site>),
`normalize` (crawler.normalize), `load_profile` (crawler.profile), `export_posts` (crawler.export).
Scrapy is imported only by the spider, pipeline and `crawler.run` modules, never at package import.
"""
