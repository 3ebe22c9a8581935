"""Platform pieces every domain package uses: config, database, money, clock, audit, outbox, jobs.

Nothing in here imports another Assist package, so any of them may import from here.
"""
