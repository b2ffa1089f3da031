"""The scoring core: a model and a policy turn a ticket into an assessment, for the API, batch and tests.

It knows nothing of HTTP or of the hand-off queue: ``handoff`` builds packets and stores hand-offs
from its assessments, ``serve`` answers HTTP. Imports run one way: serve → handoff → scoring →
policy, model, features.
"""
