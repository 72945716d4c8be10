"""Posts: an `Article` and a site profile in, a Jekyll post out, and posts exported to a folder.

The steps live in `normalize` (body tree → images → Tistory markup → sanitize), the front matter in
`frontmatter`, file names in `slug`, blog choices in `profile`; `render` binds a profile, `export`
writes files. Nothing here fetches, reads settings or touches the database.
"""
