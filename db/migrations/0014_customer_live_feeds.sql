-- Customers' live feeds (the public timeline, local and federated, and hashtag timelines) show
-- only `public` statuses, never internal `local` ones (content.access.live_visibilities). These
-- partial indexes serve their newest-first scans, so a node whose feed is mostly internal
-- posts does not make customers' timelines walk past them.
CREATE INDEX statuses_network_live_feed ON statuses (id DESC)
    WHERE deleted_at IS NULL AND visibility = 'public' AND reblog_of_id IS NULL;
CREATE INDEX statuses_local_network_live_feed ON statuses (id DESC)
    WHERE deleted_at IS NULL AND visibility = 'public' AND reblog_of_id IS NULL AND local;
