#!/bin/sh
# One-shot job (temporalio/admin-tools): once the server answers, create the namespace and the
# custom search attributes OrderWorkflow upserts (orders/temporal.py SEARCH_ATTRIBUTES). Safe to
# run again: what exists is left alone.
set -eu
: "${TEMPORAL_ADDRESS:?}"
namespace=${TEMPORAL_NAMESPACE:-default}

until temporal operator cluster health >/dev/null 2>&1; do
  echo "waiting for Temporal at $TEMPORAL_ADDRESS"
  sleep 2
done

if ! temporal operator namespace describe --namespace "$namespace" >/dev/null 2>&1; then
  temporal operator namespace create --namespace "$namespace" --retention "${RETENTION:-720h}"
fi

until temporal operator namespace describe --namespace "$namespace" >/dev/null 2>&1; do
  sleep 1
done
existing=$(temporal operator search-attribute list --namespace "$namespace")
for attribute in OrderStatus=Keyword CustomerId=Keyword OrderTotal=Double; do
  name=${attribute%%=*}
  type=${attribute#*=}
  if ! printf '%s\n' "$existing" | grep -qw "$name"; then
    temporal operator search-attribute create --namespace "$namespace" --name "$name" --type "$type"
  fi
done
echo "namespace $namespace ready"
