"""Topologies: which contexts run in which process, over which transport, on which queues; one launcher for all."""
