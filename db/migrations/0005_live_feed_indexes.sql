-- Live feeds (the public timeline, local and federated, and hashtag timelines) show `public`
-- and node-internal `local` statuses that are not boosts. These partial indexes serve their
-- newest-first scans; the local one keeps the local timeline fast when remote statuses dominate.
CREATE INDEX statuses_live_feed ON statuses (id DESC)
    WHERE deleted_at IS NULL AND visibility IN ('public', 'local') AND reblog_of_id IS NULL;
CREATE INDEX statuses_local_live_feed ON statuses (id DESC)
    WHERE deleted_at IS NULL AND visibility IN ('public', 'local') AND reblog_of_id IS NULL
      AND local;
