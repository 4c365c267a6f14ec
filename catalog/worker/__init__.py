"""The background worker's runtime (``manage.py run_worker``): a pool of threads that claim
jobs from the database queue, fairly between projects, and a registry of periodic jobs.

It sits between the surfaces and the services: like an API view, it takes work from outside
(a queued job, a clock) and hands it to a service; it writes no catalog record itself, only
the queue's own rows. ``jobs.py`` is the registry (what runs periodically, and what the runtime
knows of each kind of queued job); ``runtime.py`` is the machinery (threads, claims, signals).
"""
