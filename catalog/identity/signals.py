"""What the identity code tells the rest of the catalog about logins, without importing it
(the identity services and the catalog's services are independent siblings): the event
recorder (catalog.services.events) listens, connected in ``CatalogConfig.ready``.

Each signal is sent with ``account`` (the name or id given) and ``address`` (the client's).
"""

from django.dispatch import Signal

login_succeeded = Signal()
login_failed = Signal()
# The failure that made the account (or the address) reach its limit.
locked_out = Signal()
