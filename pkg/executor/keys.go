package executor

import (
	"strings"

	"github.com/google/uuid"
)

// keyNamespace is the UUIDv5 namespace of brokerctl idempotency keys. It is
// fixed forever: changing it would make every resumed run send new keys.
var keyNamespace = uuid.MustParse("5b0f3c7e-8a41-4e36-9d0c-6f1b2a4c9e10")

// IdempotencyKey derives the key of one create attempt. It is a UUIDv5 (36
// characters, within the Idempotency-Key limit and the 48-character
// client_order_id limit) computed from:
//
//   - salt: the workspace's random salt, so two unrelated state files that
//     apply the same manifest to one sandbox never share keys;
//   - workspace and address: one key per declared resource;
//   - specHash: a changed spec is a different operation, so it gets a new key
//     (reusing a key with another body is a 422 on journals);
//   - previous: the key of the attempt this one supersedes ("" for the first
//     create). After a definitive failure, a destroy or a --replace the next
//     create must not replay the old operation, so the new key is chained off
//     the old one and stays deterministic for resumes.
//
// The same inputs always give the same key, which is what makes a crashed
// run's resume send the very key the crashed run sent.
func IdempotencyKey(salt []byte, workspace, address, specHash, previous string) string {
	var b strings.Builder
	b.Write(salt)
	for _, s := range []string{workspace, address, specHash, previous} {
		b.WriteByte(0)
		b.WriteString(s)
	}
	return uuid.NewSHA1(keyNamespace, []byte(b.String())).String()
}
