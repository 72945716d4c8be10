"""Crawling: site parsers (HTML in, Article out), Scrapy spiders, posts and the storage pipeline.

Public API: `parse_article` per site (crawler.sites.<site>), the post sub-package (crawler.posts:
`normalize`, `load_profile`, `export_posts`), and `crawler.run`, the crawl child's entry point.
Scrapy is imported only by the spider, pipeline and `crawler.run` modules, never at package import.
"""
