"""Posts: an `Article` and a site profile in, a Jekyll post out, and posts exported to a folder.

`normalize` runs the steps in order over one parsed tree: `body` (page chrome, URLs, images and
captions, Tistory sizes) and `layout` (blocks, line layout) change the tree, `text` takes the title
and excerpt, `blocks` serializes and sanitizes (`sanitize`, always last) and adds the blocks around
the body, `licence` words the attribution, `post` holds the Post and its front matter values,
`frontmatter` writes them; file names in `slug`, blog choices in `profile`; `render` binds a
profile, `export` writes files and `manifest` records which article owns each. Nothing here
fetches, reads settings or touches the database.
"""
