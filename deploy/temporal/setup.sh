#!/bin/sh
# Creates the Temporal namespace unless it exists and registers yoyaku's custom search attributes on it. Run
# by the temporal-setup service of docker-compose.yml (temporalio/admin-tools image) and by `yoyaku dev
# --cluster` (the pinned temporal CLI); running it again changes nothing: an attribute that already exists
# with its type is left alone.
# Environment: TEMPORAL_ADDRESS (host:port), TEMPORAL_NAMESPACE, TEMPORAL_RETENTION (72h), SEARCH_ATTRIBUTES (NAME or NAME=TYPE entries
# separated by spaces; TYPE as the temporal CLI names it, Keyword when left out).
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS is required}"
: "${TEMPORAL_NAMESPACE:?TEMPORAL_NAMESPACE is required}"
: "${SEARCH_ATTRIBUTES:?SEARCH_ATTRIBUTES is required}"

list() {
  temporal operator search-attribute list --namespace "$TEMPORAL_NAMESPACE" --address "$TEMPORAL_ADDRESS"
}

# The server answers once its frontend is up; the namespace is then created unless it exists (the server,
# unlike the dev server, makes none by itself).
tries=0
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 90 ]; then
    echo "temporal-setup: the Temporal server on $TEMPORAL_ADDRESS does not answer after 3 minutes" >&2
    exit 1
  fi
  sleep 2
done
if ! temporal operator namespace describe "$TEMPORAL_NAMESPACE" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; then
  if out=$(temporal operator namespace create --namespace "$TEMPORAL_NAMESPACE" --retention "${TEMPORAL_RETENTION:-72h}" \
    --address "$TEMPORAL_ADDRESS" 2>&1); then
    echo "temporal-setup: namespace $TEMPORAL_NAMESPACE created"
  else
    case $out in
      *"already"*) ;; # a concurrent run made it
      *)
        echo "temporal-setup: $out" >&2
        exit 1
        ;;
    esac
  fi
fi

# The frontend sees a new namespace only after its namespace cache refreshes (about 10 s): wait until the
# namespace can be described and its attributes listed.
tries=0
until temporal operator namespace describe "$TEMPORAL_NAMESPACE" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 &&
  list >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 90 ]; then
    echo "temporal-setup: namespace $TEMPORAL_NAMESPACE is not ready on $TEMPORAL_ADDRESS after 3 minutes" >&2
    exit 1
  fi
  sleep 2
done

# create NAME TYPE registers NAME as a TYPE, retrying transient errors. The CLI itself refuses a NAME that
# exists with another type ("different type": fatal here); one that exists with this type is fine.
create() {
  attempt=1
  while :; do
    if out=$(temporal operator search-attribute create --name "$1" --type "$2" \
      --namespace "$TEMPORAL_NAMESPACE" --address "$TEMPORAL_ADDRESS" 2>&1); then
      echo "temporal-setup: search attribute $1 ($2) is registered"
      return 0
    fi
    case $out in
      *"different type"*)
        echo "temporal-setup: $out" >&2
        return 1
        ;;
      *"already exists"*)
        echo "temporal-setup: search attribute $1 already exists"
        return 0
        ;;
    esac
    if [ "$attempt" -ge 5 ]; then
      echo "temporal-setup: $out" >&2
      return 1
    fi
    attempt=$((attempt + 1))
    sleep 2
  done
}

for entry in $SEARCH_ATTRIBUTES; do
  case $entry in
    *=*) create "${entry%%=*}" "${entry#*=}" ;;
    *) create "$entry" Keyword ;;
  esac
done

# Fail loudly rather than let the worker start against a namespace that lacks an attribute.
attributes=$(list)
for entry in $SEARCH_ATTRIBUTES; do
  name=${entry%%=*}
  if ! printf '%s\n' "$attributes" | grep -qw -- "$name"; then
    echo "temporal-setup: search attribute $name is missing after registration" >&2
    exit 1
  fi
done
echo "temporal-setup: done"
