"""Peppol on the network: who a client is registered with, asked of the SML and the SMPs.

:mod:`.settings` (what to ask and how), :mod:`.sml` (the DNS lookup of a participant's SMP),
:mod:`.smp` (the SMP's ServiceGroup and ServiceMetadata, the access point's certificate),
:mod:`.lookup` (one participant, end to end) and :mod:`.service` (lookups of clients, stored
with when they were checked; in the background, on demand and in bulk).
"""
