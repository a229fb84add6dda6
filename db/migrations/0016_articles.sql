-- Articles (internal blogs): a status of kind `article` has a title, a summary and, for our
-- own, its Markdown source in `text` (`content` holds the sanitised HTML of the whole body).
-- Being statuses, articles keep every rule statuses have: visibility, timelines, threads
-- (comments are replies), favourites, boosts, edits with history, deletes and search.
ALTER TABLE statuses
    ADD COLUMN kind text NOT NULL DEFAULT 'note' CHECK (kind IN ('note', 'article')),
    ADD COLUMN title text NOT NULL DEFAULT '',
    ADD COLUMN summary text NOT NULL DEFAULT '';

-- Search finds an article by its title and summary as well as its body.
DROP INDEX statuses_search;
ALTER TABLE statuses DROP COLUMN search;
ALTER TABLE statuses ADD COLUMN search tsvector GENERATED ALWAYS AS (
    to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(summary, '') || ' '
                || coalesce(spoiler_text, '') || ' ' || coalesce(text, ''))
) STORED;
CREATE INDEX statuses_search ON statuses USING gin (search);

-- A member's articles, newest first (`/@name/articles`, `GET /api/v1/rukun/articles`).
CREATE INDEX statuses_articles ON statuses (account_id, id DESC)
    WHERE kind = 'article' AND deleted_at IS NULL;

-- An edit's history keeps the title and summary of each version too.
ALTER TABLE status_edits
    ADD COLUMN title text NOT NULL DEFAULT '',
    ADD COLUMN summary text NOT NULL DEFAULT '';
