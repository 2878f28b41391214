"""The course site's parts, put together by ``scripts/build_site.py`` (``make site``).

    pages.py    which notebooks and figures are on the site, their titles and order, the site's copy of a notebook,
                the figures gallery, the generated MkDocs config
    links.py    README's and the notebooks' links as the site needs them (kept relative, or sent to GitHub)
    widgets.py  widget outputs as a static copy of their first view
    hooks.py    the MkDocs hooks module (``hooks:`` in the generated config): table-of-contents anchors
    assets/     files copied into the site as they are: site.css (``extra_css`` in mkdocs.yml), the Colab badge,
                mathjax-site.js (MathJax's ``config/local/site.js``)
"""
