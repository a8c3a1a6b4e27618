"""Web pages in the style of CUCM's administration applications, and the lab's own.

:func:`api.web.pages.router` builds a node's pages; the node's HTTPS
application includes it next to the REST and SOAP routers.
"""

from api.web.pages import router

__all__ = ["router"]
