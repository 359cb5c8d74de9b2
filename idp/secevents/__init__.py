"""Security events pushed to the ministries' sites (RFC 8417 SETs, OpenID CAEP, RFC 8935 push).

When a person's rights at a ministry change or their password is changed, each site of that
ministry that registered a ``security_events_endpoint`` and already knows the person receives a
signed Security Event Token within seconds, beside back-channel logout (which ends sessions;
these say what changed). The tokens are written to an outbox in the transaction of the change,
sent once the response has gone, and retried by ``idp scheduler`` until delivered.
"""
