"""RabbitMQ plumbing: topology, transactional outbox and its relay, idempotent consumers."""
