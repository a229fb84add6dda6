// A member's day through masto.js, the JavaScript Mastodon client library, against a live
// Rukun node. Usage: node member_day.mjs URL ALICE_TOKEN BOB_TOKEN (or RUKUN_URL,
// RUKUN_ALICE_TOKEN, RUKUN_BOB_TOKEN). Prints one JSON summary of what the library observed on
// stdout; any failure exits 1 with the step, the HTTP status and the server's `error`.
import { createRestAPIClient, MastoHttpError } from "masto";

const [url, aliceToken, bobToken] = [
  process.argv[2] ?? process.env.RUKUN_URL,
  process.argv[3] ?? process.env.RUKUN_ALICE_TOKEN,
  process.argv[4] ?? process.env.RUKUN_BOB_TOKEN,
];
if (!url || !aliceToken || !bobToken) {
  console.error("usage: node member_day.mjs URL ALICE_TOKEN BOB_TOKEN");
  process.exit(2);
}

// A 1×1 PNG, so the upload goes through the node's real image processing.
const PIXEL =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

const client = (accessToken) =>
  createRestAPIClient({ url, accessToken, timeout: 15_000 });
const alice = client(aliceToken);
const bob = client(bobToken);
const summary = {};
let step = "start";

async function main() {
  step = "verify credentials";
  const me = await alice.v1.accounts.verifyCredentials();
  const bobMe = await bob.v1.accounts.verifyCredentials();
  summary.me = { id: me.id, username: me.username, acct: me.acct };
  summary.bob = { id: bobMe.id, username: bobMe.username };

  step = "update profile";
  const updated = await alice.v1.accounts.updateCredentials({
    displayName: "Alice from masto.js",
    fieldsAttributes: [{ name: "Team", value: "Payments" }],
  });
  summary.profile = {
    displayName: updated.displayName,
    fields: updated.fields.map(({ name, value }) => ({ name, value })),
    sourceFields: updated.source?.fields?.map(({ name, value }) => ({ name, value })),
  };

  step = "post with a content warning";
  const post = await alice.v1.statuses.create({
    status: "Quarterly numbers are in",
    spoilerText: "work talk",
    visibility: "unlisted",
  });
  summary.post = {
    id: post.id,
    spoilerText: post.spoilerText,
    visibility: post.visibility,
    sensitive: post.sensitive,
    content: post.content,
  };

  step = "reply";
  const reply = await bob.v1.statuses.create({
    status: `@${me.username} congratulations!`,
    inReplyToId: post.id,
  });
  summary.reply = {
    id: reply.id,
    inReplyToId: reply.inReplyToId,
    inReplyToAccountId: reply.inReplyToAccountId,
  };

  step = "favourite, reblog, bookmark";
  const mine = bob.v1.statuses.$select(post.id);
  const favourited = await mine.favourite();
  const reblog = await mine.reblog();
  const bookmarked = await mine.bookmark();
  summary.actions = {
    favourited: favourited.favourited,
    favouritesCount: favourited.favouritesCount,
    reblogId: reblog.id,
    reblogOf: reblog.reblog?.id ?? null,
    reblogged: reblog.reblog?.reblogged ?? reblog.reblogged,
    bookmarked: bookmarked.bookmarked,
  };
  step = "bookmarks list";
  const bookmarks = await bob.v1.bookmarks.list({ limit: 5 });
  summary.bookmarks = bookmarks.map((status) => status.id);

  step = "edit and history";
  const edited = await alice.v1.statuses.$select(post.id).update({
    status: "Quarterly numbers are in, and they are good",
    spoilerText: "work talk",
  });
  const history = await alice.v1.statuses.$select(post.id).history.list();
  const source = await alice.v1.statuses.$select(post.id).source.fetch();
  summary.edit = {
    editedAt: edited.editedAt,
    content: edited.content,
    versions: history.map((version) => version.content),
    source: source.text,
  };

  step = "who favourited, notifications of an edit, undoing";
  const favouritedBy = await alice.v1.statuses.$select(post.id).favouritedBy.list();
  const bobHears = await bob.v1.notifications.list({ types: ["update", "mention"] });
  const unfavourited = await mine.unfavourite();
  const unbookmarked = await mine.unbookmark();
  summary.afterEdit = {
    favouritedBy: favouritedBy.map((account) => account.username),
    bobHears: bobHears.map((n) => ({ type: n.type, status: n.status?.id ?? null })),
    unfavourited: unfavourited.favourited,
    favouritesCount: unfavourited.favouritesCount,
    unbookmarked: unbookmarked.bookmarked,
  };

  step = "context";
  const context = await alice.v1.statuses.$select(post.id).context.fetch();
  summary.context = {
    ancestors: context.ancestors.map((status) => status.id),
    descendants: context.descendants.map((status) => status.id),
  };

  step = "timeline pages";
  for (let n = 1; n <= 5; n += 1) {
    await alice.v1.statuses.create({ status: `Update ${n}`, visibility: "public" });
  }
  const pages = [];
  for await (const page of alice.v1.timelines.home.list({ limit: 2 })) {
    pages.push(page.map((status) => status.id));
    if (pages.length > 20) throw new Error("the home timeline did not stop paging");
  }
  const firstPage = await alice.v1.timelines.home.list({ limit: 2 });
  summary.timeline = { pages, firstPage: firstPage.map((status) => status.id) };

  step = "picture";
  const png = Buffer.from(PIXEL, "base64");
  const media = await alice.v2.media.create({
    file: new Blob([png], { type: "image/png" }),
    description: "A blue dot",
  });
  // An app retrying a post sends the same Idempotency-Key: one status, not two.
  const logo = { status: "Our new logo", mediaIds: [media.id], language: "en" };
  const once = { requestInit: { headers: { "Idempotency-Key": "logo-post-1" } } };
  const withPicture = await alice.v1.statuses.create(logo, once);
  const retried = await alice.v1.statuses.create(logo, once);
  summary.media = {
    id: media.id,
    type: media.type,
    url: media.url,
    description: media.description,
    attached: withPicture.mediaAttachments.map((attachment) => attachment.id),
    language: withPicture.language,
    retriedId: retried.id,
  };

  step = "lookup and account statuses";
  const looked = await bob.v1.accounts.lookup({ acct: "alice" });
  const hers = await bob.v1.accounts.$select(looked.id).statuses.list({
    excludeReplies: true,
    limit: 3,
  });
  summary.lookup = { id: looked.id, statuses: hers.map((status) => status.id) };

  step = "markers";
  await alice.v1.markers.create({ home: { lastReadId: post.id } });
  const markers = await alice.v1.markers.fetch({ timeline: ["home"] });
  summary.markers = { home: markers.home?.lastReadId ?? null };

  step = "notifications";
  const notifications = await alice.v1.notifications.list({ limit: 20 });
  const mentions = await alice.v1.notifications.list({ types: ["mention"] });
  const notificationPages = [];
  for await (const page of alice.v1.notifications.list({ limit: 1 })) {
    notificationPages.push(page.map((n) => n.id));
    if (notificationPages.length > 20) throw new Error("notifications did not stop paging");
  }
  summary.notifications = {
    all: notifications.map((n) => ({
      id: n.id,
      type: n.type,
      account: n.account?.username ?? null,
      status: n.status?.id ?? null,
    })),
    mentions: mentions.map((n) => n.type),
    pages: notificationPages,
  };

  step = "search";
  const found = await alice.v2.search.list({ q: "bob", type: "accounts" });
  summary.search = {
    accounts: found.accounts.map((account) => account.username),
    statuses: found.statuses.length,
    hashtags: found.hashtags.length,
  };

  step = "follow and relationships";
  const followed = await alice.v1.accounts.$select(bobMe.id).follow();
  const [afterFollow] = await alice.v1.accounts.relationships.fetch({ id: [bobMe.id] });
  const followers = await bob.v1.accounts.$select(bobMe.id).followers.list({ limit: 5 });
  const unfollowed = await alice.v1.accounts.$select(bobMe.id).unfollow();
  const [afterUnfollow] = await alice.v1.accounts.relationships.fetch({ id: [bobMe.id] });
  summary.follow = {
    followed: followed.following || followed.requested,
    relationshipId: afterFollow.id,
    followers: followers.map((account) => account.username),
    following: afterFollow.following,
    unfollowed: unfollowed.following,
    followingAfter: afterUnfollow.following,
  };

  step = "instance";
  const instance = await alice.v2.instance.fetch();
  summary.instance = {
    domain: instance.domain,
    version: instance.version,
    maxCharacters: instance.configuration?.statuses?.maxCharacters ?? null,
  };
  // What an app's About and hashtag pages read first.
  const about = await alice.v1.instance.extendedDescription.fetch();
  const tag = await alice.v1.tags.$select("QuarterlyNumbers").fetch();
  summary.pages = {
    about: about.content,
    tag: { name: tag.name, following: tag.following, history: tag.history },
  };

  step = "too long a status";
  try {
    const limit = summary.instance.maxCharacters ?? 500;
    await alice.v1.statuses.create({ status: "x".repeat(limit + 1) });
    summary.tooLong = { created: true };
  } catch (error) {
    if (!(error instanceof MastoHttpError)) throw error;
    summary.tooLong = { statusCode: error.statusCode, error: error.message };
  }

  step = "a bad token";
  try {
    await client("not-a-token").v1.accounts.verifyCredentials();
    summary.badToken = { accepted: true };
  } catch (error) {
    if (!(error instanceof MastoHttpError)) throw error;
    summary.badToken = { statusCode: error.statusCode, error: error.message };
  }

  step = "delete";
  const deleted = await bob.v1.statuses.$select(reply.id).remove();
  summary.deleted = { id: deleted.id, text: deleted.text };
  try {
    await alice.v1.statuses.$select(reply.id).fetch();
    summary.deleted.stillThere = true;
  } catch (error) {
    if (!(error instanceof MastoHttpError)) throw error;
    summary.deleted.afterwards = { statusCode: error.statusCode, error: error.message };
  }
}

try {
  await main();
  console.log(JSON.stringify(summary, null, 2));
} catch (error) {
  if (error instanceof MastoHttpError) {
    console.error(`${step}: HTTP ${error.statusCode}: ${error.message}`);
  } else {
    console.error(`${step}: ${error?.stack ?? error}`);
  }
  process.exit(1);
}
