"""The conditions of use of each portal: versioned texts, their acceptance, and the guard.

Each version is a pair of Markdown files, ``config/conditions/<portal>/<YYYY-MM-DD>.fr.md`` and
``.en.md`` (:mod:`.documents`); the latest date is the version in force. A person who has not
accepted the version in force of their portal is sent to its page after signing in
(:mod:`.views`) and cannot go on to a ministry's service (:mod:`.policies`, used by the OIDC
and SAML endpoints).
"""
