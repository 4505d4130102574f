/*
 * HyperOTA: AWS session tags from a person's Keycloak groups (OIDC script mapper).
 *
 * Emits the claim value for "https://aws.amazon.com/tags": numbered single-valued tags
 *   hyperota-r1..rN  the key prefixes ("org" or "org/app") the person may read
 *   hyperota-w1..wN  the key prefixes the person may write
 *   hyperota-more    "true" when they have more prefixes than slots (the rest is refused)
 * from the group layout /{org}/owner|admin|write|read and /{org}/{app}/admin|write|read.
 *
 * The contract (and a Python twin the tests compare this script with) lives in
 * hyperota_desktop/domain/s3_isolation.py. Keep SLOTS equal to the slots the role policies were
 * rendered with (packaging/aws/render.py --slots). ECMAScript 5 only: Keycloak runs it on Nashorn.
 * Bound by Keycloak: user, realm, token, userSession, keycloakSession.
 */
var SLOTS = 12;
var ORG_ROLES = { owner: 4, admin: 3, write: 2, read: 1 };
var APP_ROLES = { admin: 3, write: 2, read: 1 };
var WRITE = 2;

function validName(name) {
  // ES5 `$` is the end of the input (no trailing-newline exception, unlike Python's re.match)
  return /^[a-z0-9._-]{1,50}$/.test(name) && name !== "." && name !== "..";
}

function pathOf(group) {
  var parts = [];
  for (var g = group; g !== null && g !== undefined; g = g.getParent()) {
    parts.unshift(String(g.getName()));
  }
  return parts;
}

function hyperotaTags(groups) {
  var orgLevel = {}, appLevel = {}, i, k;
  for (i = 0; i < groups.length; i++) {
    var parts = pathOf(groups[i]), valid = true;
    for (k = 0; k < parts.length; k++) { if (!validName(parts[k])) { valid = false; } }
    if (!valid) { continue; }
    if (parts.length === 2 && ORG_ROLES.hasOwnProperty(parts[1])) {
      orgLevel[parts[0]] = Math.max(orgLevel[parts[0]] || 0, ORG_ROLES[parts[1]]);
    } else if (parts.length === 3 && APP_ROLES.hasOwnProperty(parts[2]) && !ORG_ROLES.hasOwnProperty(parts[1])) {
      var key = parts[0] + "/" + parts[1];
      appLevel[key] = Math.max(appLevel[key] || 0, APP_ROLES[parts[2]]);
    }
  }
  function roots(least) {
    var found = [], seen = {}, name;
    for (name in orgLevel) {
      if (orgLevel.hasOwnProperty(name) && orgLevel[name] >= least) { found.push(name); seen[name] = true; }
    }
    for (name in appLevel) {
      if (appLevel.hasOwnProperty(name) && appLevel[name] >= least && !seen[name.split("/")[0]]) {
        found.push(name);
      }
    }
    found.sort();
    return found;
  }
  var read = roots(1), write = roots(WRITE), tags = {};
  for (i = 0; i < read.length && i < SLOTS; i++) { tags["hyperota-r" + (i + 1)] = [read[i]]; }
  for (i = 0; i < write.length && i < SLOTS; i++) { tags["hyperota-w" + (i + 1)] = [write[i]]; }
  if (read.length > SLOTS || write.length > SLOTS) { tags["hyperota-more"] = ["true"]; }
  return { principal_tags: tags };
}

function userGroups(person) {
  var found = [];
  if (typeof person.getGroupsStream === "function") {
    person.getGroupsStream().forEach(function (g) { found.push(g); });
  } else {
    var it = person.getGroups().iterator();
    while (it.hasNext()) { found.push(it.next()); }
  }
  return found;
}

// The value of the last expression is the claim value (claim JSON type: "JSON").
JSON.stringify(hyperotaTags(userGroups(user)));
