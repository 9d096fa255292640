"""The fault suite: the fault probe's experiments repeated; nothing may be lost or duplicated."""
