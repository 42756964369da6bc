package copilot

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/steward-dev/steward/policy"
)

// RefusalError is a sentence the copilot will not turn into a policy, with
// the reason in words a person can act on.
type RefusalError struct{ Reason string }

func (e *RefusalError) Error() string { return e.Reason }

func refuse(format string, args ...any) error {
	return &RefusalError{Reason: fmt.Sprintf(format, args...)}
}

// Verbs the copilot understands, by the action they need. Write includes
// read, so an unclear verb is never guessed as write: it is refused.
var readVerbs = []string{
	"read", "view", "see", "access", "query", "select", "browse", "inspect", "review",
	"use", "analyze", "analyse", "consult", "download", "export", "retrieve", "search",
	"open", "audit", "examine", "look at", "look up", "check", "study", "pull", "extract",
	"report on", "monitor", "read from", "select from", "query from", "display", "print", "list",
	"copy", "track",
}

var writeVerbs = []string{
	"write", "update", "modify", "edit", "change", "delete", "insert", "create", "alter",
	"amend", "append", "remove", "correct", "upload", "load", "manage", "maintain",
	"approve", "overwrite", "publish", "submit", "adjust", "administer", "write to",
	"insert into", "delete from", "add to", "load into", "upload to", "append to", "purge",
	"enter", "record", "post", "input", "fill in", "reverse", "void", "grade", "sign", "sign off on",
	"schedule", "reschedule", "book", "cancel", "prescribe", "add", "archive", "restore", "import",
	"replace", "revise", "assign", "reassign", "close", "reopen", "annotate", "deactivate", "activate",
	"disable", "enable", "suspend", "reset", "register", "configure", "release", "destroy", "erase",
	"document", "place", "issue", "reject",
}

// assignVerbs give something to someone ("assign papers to reviewers").
var assignVerbs = map[string]bool{"assign": true, "reassign": true, "allocate": true, "delegate": true, "transfer": true, "forward": true}

// accessKinds are the words in front of "access" ("read access", "write access").
var accessKinds = map[string]policy.Action{
	"read": policy.Read, "read-only": policy.Read, "read only": policy.Read, "view": policy.Read,
	"view-only": policy.Read, "view only": policy.Read, "readonly": policy.Read, "query-only": policy.Read,
	"viewing": policy.Read, "viewer": policy.Read, "reader": policy.Read, "query": policy.Read,
	"select": policy.Read, "reporting": policy.Read, "analyst": policy.Read,
	"write": policy.Write, "edit": policy.Write, "editing": policy.Write, "editor": policy.Write,
	"update": policy.Write, "modify": policy.Write, "full": policy.Write, "admin": policy.Write,
	"read-write": policy.Write, "read/write": policy.Write, "read and write": policy.Write,
	"read-and-write": policy.Write, "writer": policy.Write, "change": policy.Write,
}

var maskVerbs = []string{
	"mask", "hash", "redact", "obfuscate", "hide", "tokenize", "tokenise", "anonymize",
	"anonymise", "pseudonymize", "pseudonymise", "scramble", "blur", "encrypt", "truncate",
	"partially mask", "always mask", "fully mask", "blank out", "black out", "censor",
}

var maskParticiples = []string{
	"masked", "hashed", "redacted", "obfuscated", "hidden", "tokenized", "tokenised",
	"anonymized", "anonymised", "pseudonymized", "pseudonymised", "scrambled", "blurred",
	"encrypted", "truncated", "censored", "blanked out", "blacked out",
}

var allowModals = []string{
	"can", "could", "may", "might", "should", "shall", "will", "are allowed to", "is allowed to",
	"are permitted to", "is permitted to", "are authorized to", "is authorized to",
	"are authorised to", "is authorised to", "are able to", "is able to", "should be able to",
	"must be able to", "will be able to", "can be allowed to", "get to", "need to", "needs to",
	"have", "has", "need", "needs", "require", "requires", "are entitled to", "is entitled to",
	"are granted", "is granted", "get", "gets", "should have", "must have", "can have",
	"may have", "should get", "can get", "may get", "must", "are to", "is to", "are always allowed to",
	"can always", "may always", "should always", "are free to", "is free to",
	"have permission to", "has permission to", "have the right to", "has the right to",
	"have the ability to", "has the ability to", "are responsible for", "is responsible for",
	"are in charge of", "is in charge of", "are the only ones who can", "is the only one who can",
	"are the only ones allowed to", "is the only one allowed to", "are the only users who can",
	"are the only users allowed to", "are the only people who can", "is the only person who can",
	"is the only user who can", "is the only role that can", "are the only roles that can",
}

// permissionModals: "are granted permission to", "shall be given the right to", "shall be allowed".
var permissionModals = func() []string {
	var out []string
	for _, aux := range []string{"are", "is", "shall be", "should be", "must be", "will be", "may be", "can be"} {
		for _, p := range []string{"granted", "given"} {
			for _, what := range []string{"permission to", "the permission to", "the right to", "the ability to"} {
				out = append(out, aux+" "+p+" "+what)
			}
		}
		if aux != "are" && aux != "is" {
			out = append(out, aux+" allowed")
		}
	}
	return out
}()

var denyModals = []string{
	"cannot", "can not", "can't", "cant", "can never", "may not", "may never", "must not", "mustn't",
	"must never", "should not", "shouldn't", "should never", "shall not", "shall never",
	"will not", "won't", "will never", "are not allowed to", "is not allowed to",
	"aren't allowed to", "isn't allowed to", "are never allowed to", "is never allowed to",
	"are not permitted to", "is not permitted to", "are forbidden to", "is forbidden to",
	"are forbidden from", "is forbidden from", "are prohibited from", "is prohibited from",
	"are barred from", "is barred from", "are not authorized to", "is not authorized to",
	"are not authorised to", "is not authorised to", "never", "do not", "does not", "don't",
	"doesn't", "are not to", "is not to", "should not be able to", "must not be able to",
	"may not ever", "are blocked from", "is blocked from", "are not able to", "is not able to",
	"can no longer", "may no longer", "must no longer", "are no longer allowed to",
	"have no", "has no", "shall have no", "should have no", "must have no", "will have no",
	"are unable to", "is unable to", "shall not be able to", "will not be able to",
	"shall not be allowed to", "should not be allowed to", "must not be allowed to",
	"shall not be permitted to", "should not be permitted to", "must not be permitted to",
	"may not be allowed to", "have no right to", "has no right to", "have no permission to",
	"has no permission to", "do not have permission to", "does not have permission to",
	"are prevented from", "is prevented from", "are restricted from", "is restricted from",
	"are excluded from", "is excluded from", "should be prevented from", "shall be prevented from",
	"must be prevented from", "should be blocked from", "shall be blocked from", "must be blocked from",
	"should be restricted from", "shall be restricted from", "must be restricted from",
	"should be prohibited from", "shall be prohibited from", "must be prohibited from",
	"should be barred from", "shall be barred from", "must be barred from",
	"are denied", "is denied", "shall be denied", "should be denied", "must be denied", "will be denied",
	"do not have the right to", "does not have the right to", "are not responsible for",
}

var passiveModals = []string{
	"can", "may", "should", "shall", "will", "must", "is to", "are to", "can only", "may only",
	"cannot", "can not", "can't", "may not", "must not", "must never", "should not", "should never",
	"shall not", "will not", "won't", "can never", "may never", "mustn't", "shouldn't",
}

// participles of the verbs, for "Payroll may only be read by HR".
var participles = map[string]string{
	"read": "read", "viewed": "view", "seen": "see", "accessed": "access", "queried": "query",
	"browsed": "browse", "inspected": "inspect", "reviewed": "review", "used": "use",
	"analyzed": "analyze", "analysed": "analyse", "consulted": "consult", "downloaded": "download",
	"exported": "export", "retrieved": "retrieve", "searched": "search", "opened": "open",
	"audited": "audit", "examined": "examine", "checked": "check", "selected": "select",
	"written": "write", "updated": "update", "modified": "modify", "edited": "edit",
	"changed": "change", "deleted": "delete", "inserted": "insert", "created": "create",
	"altered": "alter", "amended": "amend", "appended": "append", "removed": "remove",
	"corrected": "correct", "uploaded": "upload", "loaded": "load", "managed": "manage",
	"maintained": "maintain", "approved": "approve", "overwritten": "overwrite",
	"published": "publish", "submitted": "submit", "adjusted": "adjust", "administered": "administer",
	"purged": "purge", "entered": "enter", "recorded": "record", "posted": "post",
	"displayed": "display", "printed": "print", "listed": "list", "copied": "copy", "tracked": "track",
	"scheduled": "schedule", "rescheduled": "reschedule", "booked": "book", "cancelled": "cancel",
	"canceled": "cancel", "prescribed": "prescribe", "added": "add", "archived": "archive",
	"restored": "restore", "imported": "import", "replaced": "replace", "revised": "revise",
	"assigned": "assign", "reassigned": "reassign", "closed": "close", "reopened": "reopen",
	"annotated": "annotate", "deactivated": "deactivate", "activated": "activate", "disabled": "disable",
	"enabled": "enable", "suspended": "suspend", "registered": "register", "configured": "configure",
	"released": "release", "destroyed": "destroy", "erased": "erase",
	"documented": "document", "placed": "place", "issued": "issue", "rejected": "reject", "monitored": "monitor",
	"extracted": "extract", "pulled": "pull", "studied": "study",
}

func participleList() []string {
	out := make([]string, 0, len(participles))
	for p := range participles {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// baseVerbs turns "read and updated" participles into base verbs.
func baseVerbs(v string) string {
	var out []string
	for _, w := range strings.Fields(strings.ToLower(v)) {
		if b, ok := participles[w]; ok {
			out = append(out, b)
		} else {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

// gerund turns a base verb into its -ing form for "from reading", "from modifying".
func gerund(v string) string {
	head, tail, _ := strings.Cut(v, " ")
	var g string
	switch {
	case head == "see":
		g = "seeing"
	case strings.HasSuffix(head, "ie"):
		g = head[:len(head)-2] + "ying"
	case strings.HasSuffix(head, "e") && !strings.HasSuffix(head, "ee"):
		g = head[:len(head)-1] + "ing"
	default:
		g = head + "ing"
	}
	if tail != "" {
		g += " " + tail
	}
	return g
}

// alternation builds a regexp alternation, longest first so "cannot" wins over "can".
func alternation(words []string) string {
	w := append([]string(nil), words...)
	sort.SliceStable(w, func(i, j int) bool { return len(w[i]) > len(w[j]) })
	for i := range w {
		w[i] = strings.ReplaceAll(regexp.QuoteMeta(w[i]), " ", `\s+`)
	}
	return "(?:" + strings.Join(w, "|") + ")"
}

func verbAlternation() string {
	return alternation(append(append([]string(nil), readVerbs...), writeVerbs...))
}

func gerundAlternation() string {
	var g []string
	for _, v := range append(append([]string(nil), readVerbs...), writeVerbs...) {
		g = append(g, gerund(v))
	}
	return alternation(g)
}

func accessKindAlternation() string {
	var k []string
	for w := range accessKinds {
		k = append(k, w)
	}
	sort.Strings(k)
	return alternation(k)
}

// adverbs the modal pattern may skip: only ones that leave the access as
// it is. Any other "-ly" word ("remotely", "partially", "rarely") may limit
// it, so it is not skipped and the sentence is refused instead.
const adverbs = `(?:(?:freely|directly|fully|explicitly|expressly|electronically|securely|readily|routinely|automatically|additionally|likewise|similarly|equally|really|certainly|definitely|absolutely|strictly|only|also|always|still|now|then|just|ever|both|either|be\s+able\s+to|be\s+allowed\s+to|be\s+permitted\s+to)\s+)*`

var (
	verbs   = verbAlternation()
	gerunds = gerundAlternation()
	kinds   = accessKindAlternation()

	// action: "read", "read and update", "have read access to", "access to".
	actionRe = `(?P<verb>(?:` + verbs + `|` + gerunds + `)(?:\s*(?:,|and|or|&|/|and/or)\s*(?:` + verbs + `|` + gerunds + `))*` + `|(?:(?:have|has|get|be\s+given|be\s+granted|receive|obtain|hold|retain)\s+)?(?:(?:` + kinds + `)\s+)?access(?:\s+(?:to|on|for|into|over))?|(?:have|has|get)\s+(?:` + kinds + `)\s+(?:rights|permissions?|privileges?)\s+(?:to|on|for|over))`

	reModal = regexp.MustCompile(`(?i)^(?P<subj>.+?)\s+(?P<modal>` + alternation(append(append(append([]string(nil), denyModals...), allowModals...), permissionModals...)) + `)\s+` + adverbs + actionRe + `\s+(?P<obj>.+)$`)

	reGiveTo = regexp.MustCompile(`(?i)^(?:give|grant|provide|assign|issue)\s+(?:(?P<kind>` + kinds + `)\s+)?access\s+(?:to|on|for|over)\s+(?P<obj>.+?)\s+to\s+(?P<subj>.+)$`)
	reGive   = regexp.MustCompile(`(?i)^(?:give|grant|provide|assign|issue|offer)\s+(?P<subj>.+?)\s+(?:(?P<kind>` + kinds + `)\s+)?(?:access|rights|permissions?|privileges?)\s+(?:to|on|for|over|into)\s+(?P<obj>.+)$`)
	reAllow  = regexp.MustCompile(`(?i)^(?:allow|permit|enable|authori[sz]e|let|entitle)\s+(?P<subj>.+?)\s+(?:to\s+)?` + adverbs + actionRe + `\s+(?P<obj>.+)$`)
	reDenyTo = regexp.MustCompile(`(?i)^(?:deny|block|forbid|prevent|prohibit|bar|stop|disallow|restrict)\s+(?P<subj>.+?)\s+(?:from\s+(?P<ger>` + gerunds + `(?:\s*(?:,|and|or)\s*` + gerunds + `)*)|(?:(?P<kind>` + kinds + `)\s+)?access\s+(?:to|on|for|into))\s+(?P<obj>.+)$`)
	reMask   = regexp.MustCompile(`(?i)^(?:always\s+)?(?P<verb>` + alternation(maskVerbs) + `)\s+(?P<obj>.+?)(?:\s+(?:for|from|to|when\s+shown\s+to|when\s+viewed\s+by|when\s+read\s+by)\s+(?P<subj>.+))?$`)
	reMasked = regexp.MustCompile(`(?i)^(?P<obj>.+?)\s+(?:must|should|shall|will|are\s+to|is\s+to|has\s+to|have\s+to)?\s*(?:always\s+)?(?:be|are|is|get|gets)\s+(?:always\s+)?(?P<verb>` + alternation(maskParticiples) + `)(?:\s+(?:for|from|to|when\s+shown\s+to|when\s+viewed\s+by)\s+(?P<subj>.+))?$`)

	reByPassive = regexp.MustCompile(`(?i)^(?P<obj>.+?)\s+(?P<modal>` + alternation(passiveModals) + `)\s+(?:only\s+|also\s+)?be\s+(?P<verb>` + alternation(participleList()) + `)(?:\s+(?:and|or|and/or)\s+` + alternation(participleList()) + `)*\s+(?:only\s+)?by\s+(?P<subj>.+)$`)
	reAgentless = regexp.MustCompile(`(?i)^(?P<obj>.+?)\s+(?:cannot|can\s+not|can't|may\s+not|may\s+never|must\s+not|must\s+never|mustn't|shall\s+not|shall\s+never|should\s+not|should\s+never|will\s+not|won't|can\s+never)\s+(?:ever\s+)?be\s+(?P<verb>` + alternation(participleList()) + `)(?:\s+(?:and|or|and/or|nor)\s+` + alternation(participleList()) + `)*$`)
	reAccessTo  = regexp.MustCompile(`(?i)^(?:(?P<kind>` + kinds + `)\s+)?access\s+to\s+(?P<obj>.+?)\s+(?:is|are|should\s+be|must\s+be|shall\s+be|will\s+be|may\s+be|can\s+be)\s+(?:only\s+)?(?:granted|given|allowed|restricted|limited|reserved|provided|(?P<denied>denied|refused|forbidden|prohibited|blocked))\s+(?:only\s+)?(?:to|for)\s+(?P<subj>.+)$`)
	// "The system shall (not) allow X to ...": requirement documents speak of the system.
	reSystem = regexp.MustCompile(`(?i)^(?:the\s+)?(?:system|application|app|platform|software|service|portal|database|product)\s+(?:(?:shall|must|should|will|may|can|is\s+to)\s+(?P<not>not\s+|never\s+)?(?:allow|permit|enable|let|authori[sz]e)|(?P<not2>does\s+not\s+|doesn't\s+|never\s+)?(?:allow|permit|enable|let|authori[sz]e)s?)\s+(?P<subj>.+?)\s+(?:to\s+)?(?P<rest>` + verbs + `\b.*|(?:(?:` + kinds + `)\s+)?access\b.*)$`)

	// "The system shall prevent X from reading Y".
	reSystemDeny = regexp.MustCompile(`(?i)^(?:the\s+)?(?:system|application|app|platform|software|service|portal|database|product)\s+(?:(?:shall|must|should|will|is\s+to)\s+(?:always\s+)?(?:prevent|prohibit|forbid|block|bar|stop|disallow)|(?:prevent|prohibit|forbid|block|bar|stop|disallow)s)\s+(?P<rest>.+?\s+from\s+.+)$`)
	// "The system shall provide X with (read) access to Y".
	reSystemProvide = regexp.MustCompile(`(?i)^(?:the\s+)?(?:system|application|app|platform|software|service|portal|database|product)\s+(?:shall|must|should|will|is\s+to)\s+(?:provide|give|grant|offer)\s+(?P<subj>.+?)\s+with\s+(?:(?P<kind>` + kinds + `)\s+)?access\s+(?:to|on|for|over)\s+(?P<obj>.+)$`)
	// "It shall be possible for X to read Y".
	rePossible = regexp.MustCompile(`(?i)^it\s+(?:shall|must|should|will|is|may)\s+(?P<not>not\s+|never\s+)?(?:be\s+)?(?:possible|permitted|allowed)\s+for\s+(?P<subj>.+?)\s+to\s+(?P<rest>.+)$`)
	// "Lab results are (only) visible to nurses", "X shall not be editable by Y".
	reAdjective = regexp.MustCompile(`(?i)^(?P<obj>.+?)\s+(?:(?P<modal>` + alternation(passiveModals) + `)\s+)?(?:only\s+)?(?:be|is|are)\s+(?P<not>not\s+|never\s+)?(?:only\s+|solely\s+|exclusively\s+)?(?P<adj>` + adjectiveAlternation() + `)\s+(?:only\s+|solely\s+|exclusively\s+)?(?:to|by|for)\s+(?:only\s+)?(?P<subj>.+)$`)

	// "view but not edit", "view, but not edit,".
	reButNotMiddle = regexp.MustCompile(`(?i)\b(?P<pre>` + verbs + `)\s*,?\s+but\s+(?:not|never|cannot|can\s+not|can't|may\s+not|must\s+not|shall\s+not|should\s+not|will\s+not)\s+(?P<neg>` + verbs + `(?:\s*(?:,|and|or|/)\s*` + verbs + `)*)\s*,?\s+`)
	// "can be viewed but not modified by".
	reButNotPassive = regexp.MustCompile(`(?i)\b(?P<pre>` + alternation(participleList()) + `)\s*,?\s+but\s+(?:not|never)\s+(?P<neg>` + alternation(participleList()) + `(?:\s*(?:,|and|or|/)\s*` + alternation(participleList()) + `)*)\s*,?\s+`)
	// "... lab results, but cannot modify them".
	reButNotEnd = regexp.MustCompile(`(?i)\s*,?\s+(?:but|and|yet)\s+(?:not|never|cannot|can\s+not|can't|may\s+not|may\s+never|must\s+not|must\s+never|mustn't|shall\s+not|should\s+not|should\s+never|will\s+not|are\s+not\s+(?:allowed|permitted|able)\s+to|is\s+not\s+(?:allowed|permitted|able)\s+to)\s+(?:be\s+(?:able|allowed|permitted)\s+to\s+)?(?P<neg>` + verbs + `(?:\s*(?:,|and|or|/)\s*` + verbs + `)*)\s+(?:them|it|these|those|this|that|the\s+same|any\s+of\s+them|any\s+of\s+it)$`)
	// "Under no circumstances may X read Y", "At no time shall X read Y".
	reNoCircumstances  = regexp.MustCompile(`(?i)^(?:under\s+no\s+circumstances?|in\s+no\s+circumstances?|at\s+no\s+time|in\s+no\s+case|on\s+no\s+account)\s*,?\s+(?P<modal>may|can|shall|should|must|will)\s+(?P<subj>.+?)\s+(?P<rest>(?:be\s+(?:able|allowed|permitted)\s+to\s+)?(?:` + verbs + `|have\s+.*access)\b.*)$`)
	reAnyCircumstances = regexp.MustCompile(`(?i)\s*,?\s+(?:under\s+any\s+circumstances?|in\s+any\s+circumstances?|at\s+any\s+time|in\s+any\s+case|whatsoever)\s*$`)
	// "X must complete Y training before reading Z".
	reBefore = regexp.MustCompile(`(?i)^(?P<subj>.+?)\s+(?:must|shall|should|need\s+to|needs\s+to|have\s+to|has\s+to|are\s+required\s+to|is\s+required\s+to)\s+(?:first\s+)?(?P<cond>(?:complete|finish|take|pass|attend|undergo)\s+.+?)\s+(?:before|prior\s+to)\s+(?:they\s+can\s+|being\s+(?:able|allowed)\s+to\s+)?(?P<ger>` + gerunds + `|` + verbs + `)\s+(?P<obj>.+)$`)

	// the software as the one acting: "the system", "the application".
	reSoftware = regexp.MustCompile(`(?i)^(?:the\s+|this\s+|our\s+)?(?:system|application|app|software|platform|website|web\s+site|site|portal|server|program)$`)
	// "Bank tellers may view balances but may not approve loans": a
	// prohibition on other data after the allowed part.
	reButNotOther = regexp.MustCompile(`(?i)\s*,?\s+but\s+(?:not|never|cannot|can\s+not|can't|may\s+not|may\s+never|must\s+not|must\s+never|mustn't|shall\s+not|should\s+not|should\s+never|will\s+not|are\s+not\s+(?:allowed|permitted|able)\s+to|is\s+not\s+(?:allowed|permitted|able)\s+to)\s+(?:be\s+(?:able|allowed|permitted)\s+to\s+)?(?P<neg>` + verbs + `(?:\s*(?:,|and|or|/)\s*` + verbs + `)*)\s+(?P<obj>\S.*)$`)

	reExclusive = regexp.MustCompile(`(?i)\b(?:only|exclusively|solely|restricted\s+to|limited\s+to|reserved\s+for)\b`)

	rePolite      = regexp.MustCompile(`(?i)^(?:(?:please|kindly|policy\s*:|rule\s*:|new\s+policy\s*:|ensure\s+(?:that\s+)?|make\s+sure\s+(?:that\s+)?|we\s+want\s+(?:to\s+)?|we\s+need\s+to\s+|i\s+want\s+to\s+|i'?d\s+like\s+to\s+|i\s+would\s+like\s+to\s+)\s*)+`)
	reEveryoneBut = regexp.MustCompile(`(?i)\b(everyone|everybody|anyone|anybody|all\s+employees|all\s+staff|all\s+users|nobody|no\s+one|no-one|none)\s+but\s+`)
	reMaskedSee   = regexp.MustCompile(`(?i)^(?P<subj>.+?)\s+(?:can|may|should|must|will|shall)\s+(?:only\s+)?(?:see|view|get|read|receive)\s+(?:only\s+)?(?P<verb>` + alternation(maskParticiples) + `)\s+(?P<obj>.+)$`)
	rePeriod      = regexp.MustCompile(`(?i)\b(?:q[1-4]|quarters?|months?|weeks?|years?|fy\s*\d*|h[12]|season|holidays?|year-end|weekend|today|tomorrow|tonight|days?|hours?|minutes?|nights?|shifts?|sprints?|semesters?|terms?|moment|while|duration|period|lifetime|timeframe|window)\b`)

	reFronted = regexp.MustCompile(`(?i)^(?P<marker>once|after|when|whenever|if|provided(?:\s+that)?|as\s+long\s+as|so\s+long\s+as|while|only\s+if|only\s+after|only\s+when|only\s+once|upon|unless|until|during|with)\s+(?P<cond>[^,]+),\s*(?P<rest>.+)$`)
	// a trailing condition after the objects.
	reTrailing = regexp.MustCompile(`(?i)(?:\s*,\s*|\s+)(?P<marker>after|once|if|provided(?:\s+that)?|as\s+long\s+as|so\s+long\s+as|while|when|whenever|only\s+if|only\s+after|only\s+when|only\s+once|upon|unless|until|but\s+only\s+if|but\s+only\s+after|but\s+only\s+when)\s+(?P<cond>.+)$`)
	reExcept   = regexp.MustCompile(`(?i)(?:\s*,\s*|\s+)(?:but\s+)?(?:except(?:\s+for)?|excluding|excepting|but\s+not|other\s+than|apart\s+from|aside\s+from|besides|save\s+for|with\s+the\s+exception\s+of|not\s+including)\s+(?P<cond>[^,]+?)\s*(?:,|$)`)
	reRelative = regexp.MustCompile(`(?i)\s*,?\s+(?:who|that|which|whom|whose)\s+(?P<cond>.+?)\s*,?$`)
	reWith     = regexp.MustCompile(`(?i)\s+(?:with|having|holding)\s+(?P<cond>.+)$`)
	rePlace    = regexp.MustCompile(`(?i)\s+(?P<cond>(?:(?:based|located|working|living|sitting|stationed|residing|employed)\s+)?(?:in|from|within|outside(?:\s+of)?|not\s+in|not\s+from|on|at)\s+.+|(?:assigned|belonging)\s+to\s+.+)$`)
	rePurpose  = regexp.MustCompile(`(?i)(?:\s*,\s*|\s+)(?P<marker>in\s+order\s+to|so\s+that|so\s+they\s+can|so\s+as\s+to|for\s+the\s+purposes?\s+of|for\s+purposes\s+of|because|since|as\s+part\s+of|to|for)\s+(?P<purpose>.+)$`)
	reListSep  = regexp.MustCompile(`(?i)\s*,\s*(?:and\s+|or\s+|nor\s+|as\s+well\s+as\s+|plus\s+)?|\s+(?:and/or|and|or|nor|&|as\s+well\s+as|plus|along\s+with|together\s+with)\s+`)

	reDuration    = regexp.MustCompile(`(?i)(?:\s*,\s*|\s+|^)(?:for|during|over)\s+(?:the\s+next\s+|a\s+period\s+of\s+|up\s+to\s+|a\s+maximum\s+of\s+|at\s+most\s+)?(?P<n>\d{1,4}|a\s+couple\s+of|couple\s+of|an|a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|twenty|thirty|forty-five|forty|fifty|sixty|ninety)\s+(?P<unit>(?:business|working|calendar)\s+days?|minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|fortnights?|months?|quarters?|years?)\b`)
	reDurationAdj = regexp.MustCompile(`(?i)(?:\s*,\s*|\s+|^)(?:for\s+)?(?P<n>\d{1,4})[- ](?P<unit>minute|hour|day|week|month|year)\b`)
	reUntil       = regexp.MustCompile(`(?i)(?:\s*,\s*|\s+)(?:until|till|through|thru|up\s+until|expiring|expires?)\s+(?P<until>.+)$`)
	reTemporary   = regexp.MustCompile(`(?i)\b(?:temporar(?:y|ily)|for\s+a\s+while|for\s+now|for\s+the\s+time\s+being|short[- ]term|time[- ]limited|time[- ]boxed)\b`)

	reQuestion    = regexp.MustCompile(`(?i)^(?:can|could|would|will|how|what|why|where|who|whom|which|is|are|do|does|did|am|has|have|should)\b.*\?$|\?\s*$|^(?:can|could|would)\s+(?:you|someone|somebody|anyone|anybody|i|we)\b|^(?:please\s+)?(?:help|reset|unlock|fix|tell\s+me|show\s+me|explain|list|how)\b`)
	reInjection   = regexp.MustCompile(`(?i)\b(?:ignore|disregard|forget|override|bypass|skip)\b.{0,40}?\b(?:rules?|instructions?|polic(?:y|ies)|guardrails?|restrictions?|previous|above|prompt|system|safety|validation|checks?)\b|\b(?:override|overwrite|rewrite|bypass)\s+(?:the\s+)?(?:catalog(?:ue)?|metadata|policy\s+engine|copilot)\b|\b(?:system\s+prompt|you\s+are\s+now|act\s+as|pretend\s+(?:to\s+be|you)|jailbreak|developer\s+mode|new\s+instructions|from\s+now\s+on)\b|<\s*script|\{\{|\bdrop\s+table\b|;\s*--|\bsudo\b|\brm\s+-rf\b`)
	reCatalogEdit = regexp.MustCompile(`(?i)^(?:please\s+)?(?:add|create|remove|delete|change|modify|update|edit|rename|register|make|set|assign|tag|untag|label|promote|demote|enroll|move|put|transfer|appoint)\b.{0,80}\b(?:users?|members?|membership|catalog(?:ue)?|tags?|attributes?|groups?|admins?|administrators?|owners?|roles?|metadata|job\s+titles?|departments?|accounts?|classification)\b|\b(?:change|modify|edit|update|alter|rewrite|delete|replace|wipe|reset)\s+(?:the\s+|your\s+)?(?:catalog(?:ue)?|instructions|rules|system|configuration|config|prompt)\b|^(?:please\s+)?(?:tag|untag|label|classify|reclassify|mark|rename)\s+.+\s+(?:as|with|to)\s|\bmake\s+(?:me|myself|him|her|them)\s+(?:an?\s+)?(?:admin|administrator|owner|approver|member)\b`)
)

// decomposition is Decompose's answer plus what later stages need.
type decomposition struct {
	Decomposition
	subjectText string        // subject phrase before list splitting
	objectText  string        // object phrase before list splitting
	duration    time.Duration // 0 when standing
	exclusive   bool          // "only X", "restricted to X": read as an allow for X
}

// Decompose breaks a sentence into effect, subjects, action, objects,
// conditions, purpose and duration phrases, without a catalog. Conditions
// that exclude people are written "not <phrase>" ("except contractors" ->
// "not contractors"); "outside X" stays as written. A sentence that is not a
// policy comes back as a *RefusalError.
func Decompose(sentence string) (Decomposition, error) {
	d, err := decompose(sentence)
	return d.Decomposition, err
}

func decompose(sentence string) (decomposition, error) {
	var d decomposition
	s := squeeze(sentence)
	if s == "" {
		return d, refuse("the sentence is empty; describe a policy such as \"Fraud analysts can read card transactions\"")
	}
	if n := len([]rune(s)); n > maxSentenceRunes {
		return d, refuse("the sentence is %d characters long; a policy sentence must be under %d characters: split it into one sentence per policy", n, maxSentenceRunes)
	}
	if m := reInjection.FindString(s); m != "" {
		return d, refuse("the sentence tries to change the copilot's instructions (%q); describe only who may do what to which data", squeeze(m))
	}
	if reCatalogEdit.MatchString(s) {
		return d, refuse("the sentence asks to change the catalog (users, groups, tags or attributes); the copilot only drafts access policies: change the catalog through its source")
	}
	if reQuestion.MatchString(s) {
		return d, refuse("this reads as a question or a request for help, not a policy; write a statement such as \"Fraud analysts can read card transactions\"")
	}
	if m := hedge(s); m != "" {
		return d, refuse("%q weakens or limits the access in a way a policy cannot carry (how often, how much, whether at all); leaving it out would grant it in full, so write the policy without it or name the condition", strings.ToLower(m))
	}
	s = strings.TrimRight(s, ".!;: ")
	s = reEveryoneBut.ReplaceAllString(s, "$1 except ")
	s = strings.TrimSpace(rePolite.ReplaceAllString(s, ""))

	// Duration first: "for 7 days" must not be read as a purpose or a subject.
	if loc := reDuration.FindStringSubmatchIndex(s); loc != nil {
		n, unit := submatch(reDuration, s, loc, "n"), submatch(reDuration, s, loc, "unit")
		d.Duration = squeeze(n + " " + unit)
		dur, err := ParseDuration(d.Duration)
		if err != nil {
			return d, err
		}
		d.duration = dur
		s = squeeze(s[:loc[0]] + " " + s[loc[1]:])
	} else if loc := reDurationAdj.FindStringSubmatchIndex(s); loc != nil && !describesData(s[loc[1]:]) {
		n, unit := submatch(reDurationAdj, s, loc, "n"), submatch(reDurationAdj, s, loc, "unit")
		d.Duration = n + " " + unit + "s"
		dur, err := ParseDuration(d.Duration)
		if err != nil {
			return d, err
		}
		d.duration = dur
		s = squeeze(s[:loc[0]] + " " + s[loc[1]:])
	}
	if d.Duration != "" {
		// "temporary access ... for 7 days": the duration says how temporary.
		s = squeeze(reTemporaryWord.ReplaceAllString(s, ""))
	}
	if d.Duration == "" {
		if m := reUntil.FindStringSubmatch(s); m != nil {
			return d, refuse("the access ends %q, which the copilot cannot turn into a length of time; say how long instead, e.g. \"for 30 days\"", squeeze(m[0]))
		}
		if m := reTemporary.FindString(s); m != "" {
			return d, refuse("the sentence says the access is %q but not for how long; add a duration such as \"for 7 days\" so it is not granted for good", m)
		}
	}

	// "Nurses can view but not edit lab results", "... but cannot modify
	// them": the refused verbs only confirm what a read policy leaves out.
	// The word checks keep the large regexps below off sentences they cannot match.
	var notVerb, otherVerb, otherObj string
	lower := strings.ToLower(s)
	if strings.Contains(lower, "but ") {
		if loc := reButNotMiddle.FindStringSubmatchIndex(s); loc != nil {
			notVerb = submatch(reButNotMiddle, s, loc, "neg")
			s = squeeze(s[:loc[0]] + submatch(reButNotMiddle, s, loc, "pre") + " " + s[loc[1]:])
		} else if loc := reButNotPassive.FindStringSubmatchIndex(s); loc != nil {
			notVerb = baseVerbs(submatch(reButNotPassive, s, loc, "neg"))
			s = squeeze(s[:loc[0]] + submatch(reButNotPassive, s, loc, "pre") + " " + s[loc[1]:])
		} else if loc := reButNotEnd.FindStringSubmatchIndex(s); loc != nil {
			notVerb = submatch(reButNotEnd, s, loc, "neg")
			s = squeeze(s[:loc[0]])
		} else if loc := reButNotOther.FindStringSubmatchIndex(s); loc != nil {
			otherVerb, otherObj = submatch(reButNotOther, s, loc, "neg"), squeeze(submatch(reButNotOther, s, loc, "obj"))
			s = squeeze(s[:loc[0]])
		}
	}
	// "Under no circumstances may contractors read X".
	if strings.Contains(lower, " no ") {
		if m := reNoCircumstances.FindStringSubmatch(s); m != nil {
			s = named(reNoCircumstances, m, "subj") + " " + named(reNoCircumstances, m, "modal") + " not " + named(reNoCircumstances, m, "rest")
		}
	}
	s = strings.TrimSpace(reAnyCircumstances.ReplaceAllString(s, ""))
	// "Nurses must complete HIPAA training before viewing X".
	if strings.Contains(lower, "before ") || strings.Contains(lower, "prior to") {
		if m := reBefore.FindStringSubmatch(s); m != nil {
			s = named(reBefore, m, "subj") + " can " + baseOfGerund(named(reBefore, m, "ger")) + " " + named(reBefore, m, "obj") + " after " + named(reBefore, m, "cond")
		}
	}

	var conds []string
	if m := reFronted.FindStringSubmatch(s); m != nil {
		marker := strings.ToLower(squeeze(m[reFronted.SubexpIndex("marker")]))
		if marker == "until" {
			return d, refuse("the access ends %q, which the copilot cannot turn into a length of time; say how long instead, e.g. \"for 30 days\"", m[reFronted.SubexpIndex("cond")])
		}
		conds = append(conds, conditionText(marker, m[reFronted.SubexpIndex("cond")]))
		s = m[reFronted.SubexpIndex("rest")]
	}

	effect, verb, subj, obj, err := mainClause(s)
	if err != nil {
		return d, err
	}
	d.Effect, d.Verb = string(effect), verb
	// When the people come last ("... by HR staff to close the books",
	// "Mask SSNs for contractors to meet GDPR"), a purpose follows them.
	if strings.HasSuffix(s, subj) {
		if loc := rePurpose.FindStringSubmatchIndex(subj); loc != nil && loc[0] > 0 && !endsWithAny(subj[:loc[0]], "related", "belonging", "access", "up") {
			d.Purpose = squeeze(submatch(rePurpose, subj, loc, "purpose"))
			marker := strings.ToLower(squeeze(submatch(rePurpose, subj, loc, "marker")))
			if marker == "to" || marker == "in order to" || marker == "so as to" {
				d.Purpose = "to " + d.Purpose
			}
			if marker == "for" && !activityPurpose(d.Purpose) || narrowingPurpose(d.Purpose) {
				return d, refuse(narrowingFor, marker+" "+squeeze(submatch(rePurpose, subj, loc, "purpose")))
			}
			subj = subj[:loc[0]]
		}
	}
	d.exclusive = effect == policy.Allow && reExclusive.MatchString(sentence)
	if effect == policy.Mask {
		d.Action = string(policy.Read)
	} else {
		act, err := ActionOf(verb)
		if err != nil {
			return d, err
		}
		d.Action = string(act)
	}

	// "view lab results but cannot modify lab results": the same data
	// again is "but cannot modify them".
	if otherVerb != "" && strings.EqualFold(squeeze(stripLeading(otherObj, "the")), squeeze(stripLeading(obj, "the"))) {
		notVerb, otherVerb = otherVerb, ""
	}
	if notVerb != "" {
		na, err := ActionOf(notVerb)
		if err != nil {
			return d, err
		}
		if effect == policy.Allow && na == policy.Write && d.Action == string(policy.Write) {
			return d, refuse("policies know only read and write access, and write covers both %q and %q, so one cannot be allowed without the other; say \"write\" or \"read\"", verb, squeeze(notVerb))
		}
		if effect != policy.Allow || na != policy.Write || d.Action != string(policy.Read) {
			return d, refuse("the sentence both allows %q and forbids %q, and write access includes read; write one policy per sentence, e.g. \"Nurses can read lab results\"", verb, squeeze(notVerb))
		}
	}

	// "... but may not approve loans": a prohibition on other data. It
	// becomes an exception ("not loans") that leaves that data out of
	// what is allowed, so the allow can never reach it, and data it cannot
	// name refuses the sentence. Only after an allow, and only when the
	// forbidden verb is one the copilot knows.
	if otherVerb != "" {
		if _, err := ActionOf(otherVerb); err != nil || effect != policy.Allow {
			return d, refuse("the sentence allows %q and forbids %q %q, two policies; write one policy per sentence", verb, squeeze(otherVerb), otherObj)
		}
		conds = append(conds, "not "+stripLeading(otherObj, "the", "any", "all"))
	}

	// Trailing parts of the object phrase: conditions, exceptions, purpose.
	obj, oc, purpose, err := splitObjectTail(obj, effect == policy.Mask)
	if err != nil {
		return d, err
	}
	conds = append(conds, oc...)
	if purpose != "" {
		d.Purpose = purpose
	}

	subj, sc := splitSubjectTail(subj)
	conds = append(conds, sc...)

	// "No one (except X) may read Y" is a prohibition for everyone (but X).
	if rest, ok := cutNobody(subj); ok {
		switch d.Effect {
		case string(policy.Allow):
			d.Effect = string(policy.Deny)
		case string(policy.Deny):
			return d, refuse("the sentence says no one may not %s; state who may instead", verb)
		}
		subj = rest
	}
	subj = stripLeading(subj, "only", "just")
	subj = strings.TrimSpace(reTrailingOnly.ReplaceAllString(subj, ""))
	obj = strings.TrimSpace(reTrailingOnly.ReplaceAllString(obj, ""))
	// "The system shall display X": the software doing a step is a
	// functional requirement, not a rule about who may access data.
	if reSoftware.MatchString(subj) {
		return d, refuse("%q is the software, not people: the sentence describes what the system does, which is not an access policy; write who may (or may not) do what to which data", squeeze(subj))
	}
	// "assign papers to reviewers": what is written is the assignment
	// ("paper assignments"), never the papers themselves.
	if assignVerbs[baseVerbs(strings.ToLower(verb))] && strings.HasPrefix(strings.ToLower(d.Purpose), "to ") {
		a, ok := assignmentObject(obj)
		if !ok {
			return d, refuse("%q gives %q to someone: what is written is the assignment, not %q itself; name the data that records it, e.g. \"paper assignments\"", verb+" "+squeeze(obj)+" "+d.Purpose, squeeze(obj), squeeze(obj))
		}
		obj, d.Purpose = a, ""
	}
	if subj == "" {
		return d, refuse("the sentence does not say who the policy is for; name the people, e.g. \"Fraud analysts can read card transactions\"")
	}
	if obj == "" {
		return d, refuse("the sentence does not say which data the policy covers; name tables or kinds of data")
	}
	d.subjectText, d.objectText = subj, obj
	// "Customers can view customer orders", "Patients may read a patient's
	// lab results": the people given access are the people the data is
	// about, so the sentence most likely means each one's own data. An
	// allow on the whole table would give every patient everyone's results.
	if effect == policy.Allow {
		if w := sameDataSubject(subj, obj); w != "" {
			return d, refuse("the people given access (%q) are also the people the data is about, so the sentence most likely means each one's own data, which a policy over user attributes and data tags cannot express; name the data without them, or grant it to other people", w)
		}
	}
	d.Subjects = splitList(subj)
	d.Objects = splitList(obj)
	// "Only physicians, not nurses, can edit X": a "not" item in a list is an
	// exception, never an alternative (physicians OR non-nurses).
	var err2 error
	if d.Subjects, conds, err2 = notItems(d.Subjects, conds); err2 != nil {
		return d, err2
	}
	if d.Objects, conds, err2 = notItems(d.Objects, conds); err2 != nil {
		return d, err2
	}
	if len(d.Subjects) > 0 && !strings.EqualFold(strings.Join(d.Subjects, " "), strings.Join(splitList(subj), " ")) {
		d.subjectText = strings.Join(d.Subjects, " and ")
	}
	if len(d.Objects) > 0 && !strings.EqualFold(strings.Join(d.Objects, " "), strings.Join(splitList(obj), " ")) {
		d.objectText = strings.Join(d.Objects, " and ")
	}
	if len(d.Subjects) == 0 || len(d.Objects) == 0 {
		return d, refuse("the sentence does not say clearly who the policy is for and which data it covers; write e.g. \"Fraud analysts can read card transactions\"")
	}
	d.Conditions = conds
	if d.Conditions == nil {
		d.Conditions = []string{}
	}
	return d, nil
}

func submatch(re *regexp.Regexp, s string, loc []int, name string) string {
	i := re.SubexpIndex(name)
	if i < 0 || loc[2*i] < 0 {
		return ""
	}
	return s[loc[2*i]:loc[2*i+1]]
}

func named(re *regexp.Regexp, m []string, name string) string {
	i := re.SubexpIndex(name)
	if i < 0 || i >= len(m) {
		return ""
	}
	return m[i]
}

// mainClause finds who, what verb and which data in the sentence.
func mainClause(s string) (effect policy.Effect, verb, subj, obj string, err error) {
	if m := reMask.FindStringSubmatch(s); m != nil {
		subj = named(reMask, m, "subj")
		if subj == "" {
			subj = "everyone"
		}
		return policy.Mask, strings.ToLower(named(reMask, m, "verb")), subj, named(reMask, m, "obj"), nil
	}
	if m := reMasked.FindStringSubmatch(s); m != nil {
		subj = named(reMasked, m, "subj")
		if subj == "" {
			subj = "everyone"
		}
		return policy.Mask, strings.ToLower(named(reMasked, m, "verb")), subj, named(reMasked, m, "obj"), nil
	}
	if m := reSystemDeny.FindStringSubmatch(s); m != nil {
		// "The system shall prevent X from reading Y" is "prevent X from reading Y".
		return mainClause("prevent " + named(reSystemDeny, m, "rest"))
	}
	if m := reSystemProvide.FindStringSubmatch(s); m != nil {
		// "The system shall provide X with (read) access to Y".
		return mainClause("give " + named(reSystemProvide, m, "subj") + " " + named(reSystemProvide, m, "kind") + " access to " + named(reSystemProvide, m, "obj"))
	}
	if m := rePossible.FindStringSubmatch(s); m != nil {
		// "It shall be possible for X to read Y", "X shall be able to read Y".
		modal := " can "
		if named(rePossible, m, "not") != "" {
			modal = " cannot "
		}
		return mainClause(named(rePossible, m, "subj") + modal + named(rePossible, m, "rest"))
	}
	if mentionsAdjective(s) {
		if m := reAdjective.FindStringSubmatch(s); m != nil {
			return adjectiveClause(m)
		}
	}
	if m := reSystem.FindStringSubmatch(s); m != nil {
		rest := named(reSystem, m, "subj") + " can "
		if named(reSystem, m, "not") != "" || named(reSystem, m, "not2") != "" {
			rest = named(reSystem, m, "subj") + " cannot "
		}
		return mainClause(rest + named(reSystem, m, "rest"))
	}
	if m := reAccessTo.FindStringSubmatch(s); m != nil {
		effect := policy.Allow
		if named(reAccessTo, m, "denied") != "" {
			effect = policy.Deny
		}
		return effect, kindVerb(named(reAccessTo, m, "kind")), named(reAccessTo, m, "subj"), named(reAccessTo, m, "obj"), nil
	}
	if m := reByPassive.FindStringSubmatch(s); m != nil {
		modal := strings.ToLower(squeeze(named(reByPassive, m, "modal")))
		effect = policy.Allow
		for _, dm := range denyModals {
			if modal == dm || strings.HasPrefix(modal, "can't") || strings.HasPrefix(modal, "won't") {
				effect = policy.Deny
				break
			}
		}
		verb := m[0][strings.Index(strings.ToLower(m[0]), strings.ToLower(named(reByPassive, m, "verb"))):]
		verb = verb[:strings.LastIndex(strings.ToLower(verb), " by ")]
		verb = strings.TrimSuffix(strings.TrimSpace(verb), " only")
		return effect, baseVerbs(squeeze(verb)), named(reByPassive, m, "subj"), named(reByPassive, m, "obj"), nil
	}
	if !strings.Contains(strings.ToLower(s), " be ") {
		// no passive
	} else if m := reAgentless.FindStringSubmatch(s); m != nil {
		// "Audit logs must not be deleted": a prohibition for everyone. An
		// allow without the people ("X can be read") is never guessed.
		verb := m[0][strings.Index(strings.ToLower(m[0]), strings.ToLower(named(reAgentless, m, "verb"))):]
		return policy.Deny, baseVerbs(squeeze(verb)), "everyone", named(reAgentless, m, "obj"), nil
	}
	if m := reGiveTo.FindStringSubmatch(s); m != nil {
		// The subject comes last here, so a purpose follows it, not the objects.
		subj, obj := named(reGiveTo, m, "subj"), named(reGiveTo, m, "obj")
		if loc := rePurpose.FindStringIndex(subj); loc != nil && loc[0] > 0 {
			obj += subj[loc[0]:]
			subj = subj[:loc[0]]
		}
		return policy.Allow, kindVerb(named(reGiveTo, m, "kind")), subj, obj, nil
	}
	if m := reGive.FindStringSubmatch(s); m != nil {
		return policy.Allow, kindVerb(named(reGive, m, "kind")), named(reGive, m, "subj"), named(reGive, m, "obj"), nil
	}
	if m := reAllow.FindStringSubmatch(s); m != nil {
		verb, obj := accessObject(squeeze(strings.ToLower(named(reAllow, m, "verb"))), named(reAllow, m, "obj"))
		return policy.Allow, verb, named(reAllow, m, "subj"), obj, nil
	}
	if m := reDenyTo.FindStringSubmatch(s); m != nil {
		v := named(reDenyTo, m, "ger")
		if v == "" {
			v = kindVerb(named(reDenyTo, m, "kind"))
		}
		return policy.Deny, squeeze(strings.ToLower(v)), named(reDenyTo, m, "subj"), named(reDenyTo, m, "obj"), nil
	}
	if m := reMaskedSee.FindStringSubmatch(s); m != nil {
		return policy.Mask, strings.ToLower(named(reMaskedSee, m, "verb")), named(reMaskedSee, m, "subj"), named(reMaskedSee, m, "obj"), nil
	}
	if m := reModal.FindStringSubmatch(s); m != nil {
		modal := strings.ToLower(squeeze(named(reModal, m, "modal")))
		effect = policy.Allow
		for _, dm := range denyModals {
			if modal == dm {
				effect = policy.Deny
				break
			}
		}
		verb, obj := accessObject(squeeze(strings.ToLower(named(reModal, m, "verb"))), named(reModal, m, "obj"))
		return effect, verb, named(reModal, m, "subj"), obj, nil
	}
	return "", "", "", "", refuse("no policy found in the sentence: write who may (or may not) do what to which data, e.g. \"Fraud analysts can read card transactions\" or \"Mask email addresses for contractors\"")
}

// reAccessObj is the rest of "have read access to X" or "need access to X"
// when the modal took "have"/"need" and the verb regexp stopped early.
var reAccessObj = regexp.MustCompile(`(?i)^(?:access|rights?|permissions?|privileges?)\s+(?:to|on|for|into|over)\s+(.+)$`)
var reToObj = regexp.MustCompile(`(?i)^(?:to|into|on|over)\s+(.+)$`)

// accessObject repairs verb and objects for "have read access to X" (verb
// "read", objects "access to X") and "need access to X" (verb "access",
// objects "to X"): the objects are X.
func accessObject(verb, obj string) (string, string) {
	if m := reAccessObj.FindStringSubmatch(strings.TrimSpace(obj)); m != nil {
		if _, ok := accessKinds[verb]; ok {
			return verb + " access", m[1]
		}
	}
	if verb == "access" {
		if m := reToObj.FindStringSubmatch(strings.TrimSpace(obj)); m != nil {
			return verb, m[1]
		}
	}
	return verb, obj
}

// adjectiveClause reads "X are visible to Y", "X shall not be editable by Y".
func adjectiveClause(m []string) (policy.Effect, string, string, string, error) {
	effect := policy.Allow
	if named(reAdjective, m, "not") != "" {
		effect = policy.Deny
	}
	if modal := strings.ToLower(squeeze(named(reAdjective, m, "modal"))); modal != "" {
		for _, dm := range denyModals {
			if modal == dm {
				effect = policy.Deny
			}
		}
	}
	verb := "read"
	adj := strings.ToLower(named(reAdjective, m, "adj"))
	if writeAdjectives[adj] {
		verb = "write"
	}
	obj := named(reAdjective, m, "obj")
	// "Access to X is available to Y", "Read access to X is ...".
	if am := reAccessPhrase.FindStringSubmatch(obj); am != nil && !writeAdjectives[adj] {
		verb, obj = kindVerb(am[1]), am[2]
	}
	return effect, verb, named(reAdjective, m, "subj"), obj, nil
}

var reAccessPhrase = regexp.MustCompile(`(?i)^(?:the\s+)?(?:(` + kinds + `)\s+)?access\s+(?:to|on|for|into|over)\s+(.+)$`)

// Adjectives that say who may use data: "accessible to", "editable by".
var readAdjectives = []string{"accessible", "available", "visible", "readable", "viewable", "viewable only", "open", "queryable", "downloadable", "exportable"}

var writeAdjectives = set("editable", "modifiable", "writable", "writeable", "updatable", "updateable", "changeable", "deletable")

// mentionsAdjective is a cheap test before the adjective regexp.
func mentionsAdjective(s string) bool {
	l := strings.ToLower(s)
	for _, a := range readAdjectives {
		if strings.Contains(l, a) {
			return true
		}
	}
	for a := range writeAdjectives {
		if strings.Contains(l, a) {
			return true
		}
	}
	return false
}

func adjectiveAlternation() string {
	w := append([]string(nil), readAdjectives...)
	for a := range writeAdjectives {
		w = append(w, a)
	}
	sort.Strings(w)
	return alternation(w)
}

// baseOfGerund turns "viewing" back into "view"; other words stay.
func baseOfGerund(g string) string {
	g = squeeze(strings.ToLower(g))
	for _, v := range append(append([]string(nil), readVerbs...), writeVerbs...) {
		if gerund(v) == g {
			return v
		}
	}
	return g
}

func kindVerb(kind string) string {
	kind = squeeze(strings.ToLower(kind))
	if kind == "" {
		return "access"
	}
	return kind + " access"
}

// ActionOf maps the verb phrase of a sentence ("modify", "read and update",
// "read access", "from deleting") to read or write. Write includes read, so
// any write verb makes the action write; an unknown verb is an error.
func ActionOf(verb string) (policy.Action, error) {
	v := squeeze(strings.ToLower(verb))
	v = strings.TrimPrefix(v, "from ")
	for _, prefix := range []string{"have ", "has ", "get ", "be given ", "be granted ", "receive ", "obtain ", "hold ", "retain "} {
		v = strings.TrimPrefix(v, prefix)
	}
	for _, suffix := range []string{" rights to", " rights on", " rights for", " rights over", " permissions to", " permission to", " permissions on", " privileges on", " privileges to", " privileges over", " access to", " access on", " access for", " access into", " access over", " access"} {
		if strings.HasSuffix(v, suffix) {
			kind := strings.TrimSuffix(v, suffix)
			if a, ok := accessKinds[kind]; ok {
				return a, nil
			}
			if kind == "" {
				return policy.Read, nil
			}
			return "", refuse("the copilot does not know what %q access allows; say read or write access", kind)
		}
	}
	if v == "access" || reAccessPrep.MatchString(v) {
		return policy.Read, nil
	}
	action := policy.Action("")
	for _, w := range reListSep.Split(strings.ReplaceAll(v, "/", " or "), -1) {
		w = strings.TrimSpace(strings.Trim(w, "/&,"))
		if w == "" {
			continue
		}
		a, ok := verbAction(w)
		if !ok {
			return "", refuse("the copilot does not know whether %q means read or write access; use a verb such as read, view, update or delete", w)
		}
		if a == policy.Write || action == "" {
			action = a
		}
	}
	if action == "" {
		return "", refuse("the sentence has no action; say what people may do, e.g. read or update")
	}
	return action, nil
}

func verbAction(w string) (policy.Action, bool) {
	for _, v := range writeVerbs {
		if w == v || w == gerund(v) {
			return policy.Write, true
		}
	}
	for _, v := range readVerbs {
		if w == v || w == gerund(v) {
			return policy.Read, true
		}
	}
	return "", false
}

// splitObjectTail removes trailing conditions, exceptions and the purpose
// from the object phrase.
func splitObjectTail(obj string, mask bool) (string, []string, string, error) {
	var conds []string
	if loc := reTrailing.FindStringSubmatchIndex(obj); loc != nil {
		marker := strings.ToLower(squeeze(submatch(reTrailing, obj, loc, "marker")))
		cond := submatch(reTrailing, obj, loc, "cond")
		if marker == "until" {
			return "", nil, "", refuse("the access ends \"until %s\", which the copilot cannot turn into a length of time; say how long instead, e.g. \"for 30 days\"", cond)
		}
		obj = obj[:loc[0]]
		cond, ex := splitExceptions(cond)
		conds = append(conds, conditionText(marker, cond))
		conds = append(conds, ex...)
	}
	obj, ex := splitExceptions(obj)
	conds = append(conds, ex...)
	purpose := ""
	if !mask {
		if loc := rePurpose.FindStringSubmatchIndex(obj); loc != nil {
			before := strings.ToLower(obj[:loc[0]])
			// "data for EU customers": when only a generic word would be
			// left, the "for" phrase is part of the objects, not a purpose.
			rest := trimStop(normTokens(before))
			if !endsWithAny(before, "related", "belonging", "relating", "pertaining", "due", "up", "according", "close", "next", "subject", "access", "limited", "restricted", "specific", "available") && !allIn(rest, dataWords, objectLinkers, stopWords) {
				purpose = squeeze(submatch(rePurpose, obj, loc, "purpose"))
				marker := strings.ToLower(squeeze(submatch(rePurpose, obj, loc, "marker")))
				if marker == "to" || marker == "in order to" || marker == "so as to" {
					purpose = "to " + purpose
				}
				// "for Q3", "for the audit": a period, not a reason; guessing
				// its length would grant too long, ignoring it for good.
				if marker == "for" && rePeriod.MatchString(purpose) {
					return "", nil, "", refuse("%q sounds like a period of time; say how long the access lasts, e.g. \"for 30 days\", and give the reason separately (\"to close Q3\")", "for "+purpose)
				}
				if marker == "for" && !activityPurpose(purpose) || narrowingPurpose(purpose) {
					return "", nil, "", refuse(narrowingFor, marker+" "+squeeze(submatch(rePurpose, obj, loc, "purpose")))
				}
				obj = obj[:loc[0]]
			}
		}
	}
	return squeeze(obj), conds, purpose, nil
}

// assignmentObject names the record an assignment writes: "papers" ->
// "paper assignments". A list or a phrase with more than a noun or two is
// not rewritten.
func assignmentObject(obj string) (string, bool) {
	words := strings.Fields(strings.ToLower(stripLeading(squeeze(obj), "the", "a", "an", "all", "any", "each", "every", "new")))
	if len(words) == 0 || len(words) > 2 {
		return "", false
	}
	for _, w := range words {
		if functionWords[w] || strings.ContainsAny(w, ",/;") {
			return "", false
		}
	}
	words[len(words)-1] = singular(words[len(words)-1])
	return strings.Join(words, " ") + " assignments", true
}

// sameDataSubject returns the data subject ("patient", "customer") that is
// both the last word of the people and a word of the data, else "".
func sameDataSubject(subj, obj string) string {
	st := normTokens(subj)
	if len(st) == 0 || !dataSubjects[st[len(st)-1]] {
		return ""
	}
	if slices.Contains(normTokens(obj), st[len(st)-1]) {
		return st[len(st)-1]
	}
	return ""
}

// splitExceptions pulls "except X", "but not X" out of text as "not X" conditions.
func splitExceptions(text string) (string, []string) {
	var conds []string
	for i := 0; i < 4; i++ {
		loc := reExcept.FindStringSubmatchIndex(text)
		if loc == nil {
			break
		}
		c := squeeze(submatch(reExcept, text, loc, "cond"))
		for _, part := range splitList(c) {
			conds = append(conds, "not "+stripLeading(part, "the", "any", "all"))
		}
		text = squeeze(text[:loc[0]] + " " + text[loc[1]:])
	}
	return text, conds
}

// splitSubjectTail separates conditions written after the subject
// ("Fraud analysts who completed PCI training", "Employees in Mexico").
func splitSubjectTail(subj string) (string, []string) {
	subj, conds := splitExceptions(subj)
	if loc := reTrailing.FindStringSubmatchIndex(subj); loc != nil {
		marker := strings.ToLower(squeeze(submatch(reTrailing, subj, loc, "marker")))
		conds = append(conds, conditionText(marker, submatch(reTrailing, subj, loc, "cond")))
		subj = subj[:loc[0]]
	}
	if loc := reRelative.FindStringSubmatchIndex(subj); loc != nil {
		conds = append(conds, conditionText("who", submatch(reRelative, subj, loc, "cond")))
		subj = subj[:loc[0]]
	}
	if loc := reWith.FindStringSubmatchIndex(subj); loc != nil {
		conds = append(conds, conditionText("with", submatch(reWith, subj, loc, "cond")))
		subj = subj[:loc[0]]
	}
	if loc := rePlace.FindStringSubmatchIndex(subj); loc != nil && loc[0] > 0 {
		cond := squeeze(submatch(rePlace, subj, loc, "cond"))
		conds = append(conds, conditionText("", cond))
		subj = subj[:loc[0]]
	}
	return squeeze(subj), conds
}

var negativeLead = []string{
	"are not", "aren't", "is not", "isn't", "are never", "is never", "do not", "don't", "does not",
	"doesn't", "have not", "haven't", "has not", "hasn't", "not", "never", "no longer",
}

// conditionText normalises one condition: "they are not interns" -> "not interns",
// "they have completed SOX training" -> "completed SOX training".
func conditionText(marker, cond string) string {
	c := squeeze(strings.Trim(cond, " ,"))
	c = stripLeading(c, "they", "they've", "they're", "they are", "they have", "the user", "the users",
		"the employee", "the employees", "the person", "he or she", "he", "she", "he/she", "you", "staff", "users", "employees")
	neg := marker == "unless"
	for _, n := range negativeLead {
		if r, ok := cutWord(c, n); ok {
			neg = !neg
			c = r
			break
		}
	}
	c = stripLeading(c, "are", "is", "be", "been", "being", "have", "has", "had", "having", "currently", "still", "already", "also")
	c = squeeze(c)
	if neg {
		return "not " + c
	}
	return c
}

// cutWord removes the leading words w from s when s starts with them.
func cutWord(s, w string) (string, bool) {
	if len(s) < len(w) || !strings.EqualFold(s[:len(w)], w) {
		return s, false
	}
	rest := s[len(w):]
	if rest == "" {
		return "", true
	}
	if rest[0] != ' ' {
		return s, false
	}
	return strings.TrimSpace(rest), true
}

func stripLeading(s string, words ...string) string {
	for changed := true; changed; {
		changed = false
		for _, w := range words {
			if r, ok := cutWord(s, w); ok && r != "" {
				s, changed = r, true
			}
		}
	}
	return s
}

func endsWithAny(s string, words ...string) bool {
	t := tokens(s)
	if len(t) == 0 {
		return false
	}
	last := t[len(t)-1]
	for _, w := range words {
		if last == w {
			return true
		}
	}
	return false
}

var nobody = []string{"no one", "no-one", "noone", "nobody", "no user", "no users", "no employee", "no employees", "no person", "no people", "no staff", "none", "not anyone", "no member", "no members"}

// cutNobody reports whether the subject is "no one" / "nobody" and returns the rest.
func cutNobody(subj string) (string, bool) {
	for _, n := range nobody {
		if r, ok := cutWord(subj, n); ok {
			if r == "" {
				r = "everyone"
			} else {
				r = "everyone " + r
			}
			return r, true
		}
	}
	// "No contractor may read X", "Neither interns nor contractors may ...":
	// a prohibition for those people, never an allow for everyone else.
	for _, lead := range []string{"no", "neither"} {
		if r, ok := cutWord(subj, lead); ok && r != "" {
			return reNor.ReplaceAllString(r, " and "), true
		}
	}
	return subj, false
}

// reAccessPrep is "access to ..." as a verb phrase; "access and modify" is a list.
var reAccessPrep = regexp.MustCompile(`^access\s+(?:to|on|for|into|over)\b`)

var reTemporaryWord = regexp.MustCompile(`(?i)\btemporar(?:y|ily)\s+`)

// notItems moves the "not X" items of a list with other items into the
// conditions as exceptions; a list of nothing but "not" items is refused.
func notItems(items, conds []string) ([]string, []string, error) {
	if len(items) < 2 {
		return items, conds, nil
	}
	var keep []string
	var moved []string
	for _, it := range items {
		if r, ok := cutWord(it, "not"); ok && r != "" {
			moved = append(moved, "not "+stripLeading(r, "the", "any", "all"))
			continue
		}
		if r, ok := cutWord(it, "never"); ok && r != "" {
			moved = append(moved, "not "+stripLeading(r, "the", "any", "all"))
			continue
		}
		keep = append(keep, it)
	}
	if len(moved) == 0 {
		return items, conds, nil
	}
	if len(keep) == 0 {
		return items, conds, refuse("the list %q only says what to leave out; name what the policy covers", strings.Join(items, ", "))
	}
	return keep, append(conds, moved...), nil
}

// reTrailingOnly is "only" after the people: "Physicians only can change X".
var reTrailingOnly = regexp.MustCompile(`(?i)\s*,?\s+(?:only|alone|exclusively|solely)\s*,?$`)

var reNor = regexp.MustCompile(`(?i)\s+nor\s+`)

// splitList splits "X, Y and Z" into its items.
func splitList(s string) []string {
	var out []string
	for _, p := range reListSep.Split(s, -1) {
		p = strings.TrimSpace(stripLeading(strings.TrimSpace(p), "both", "either"))
		if p != "" {
			out = append(out, p)
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// dataAges are words after "7-year", "90-day" that make it a property of
// the data ("7-year retention", "30-day old logs"), not how long access lasts.
var dataAges = set("retention", "retained", "old", "history", "historical", "lookback", "archive", "archived", "backup", "backups", "rolling", "window", "aged")

// describesData reports whether the text after an adjectival duration
// starts with a word that makes it a property of the data.
func describesData(rest string) bool {
	f := strings.Fields(rest)
	return len(f) > 0 && dataAges[strings.ToLower(strings.Trim(f[0], ".,;:"))]
}

// ParseDuration turns "7 days", "two weeks", "one month", "12 hours" into a
// duration. A month is 30 days, a quarter 90, a year 365.
func ParseDuration(phrase string) (time.Duration, error) {
	p := squeeze(strings.ToLower(phrase))
	if p == "" {
		return 0, nil
	}
	if d, err := time.ParseDuration(p); err == nil && d > 0 {
		return d, nil
	}
	i := strings.LastIndexByte(p, ' ')
	if i < 0 {
		return 0, refuse("cannot read the duration %q; write it as e.g. \"30 days\"", phrase)
	}
	num, unit := p[:i], p[i+1:]
	for _, pre := range []string{"business", "working", "calendar"} {
		num = strings.TrimSpace(strings.TrimSuffix(num, pre))
	}
	n, ok := numberWords[num]
	if !ok {
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return 0, refuse("cannot read the number in the duration %q", phrase)
		}
		n = v
	}
	day := 24 * time.Hour
	var u time.Duration
	switch singular(strings.TrimSuffix(unit, ".")) {
	case "minute", "min":
		u = time.Minute
	case "hour", "hr":
		u = time.Hour
	case "day":
		u = day
	case "week", "wk":
		u = 7 * day
	case "fortnight":
		u = 14 * day
	case "month":
		u = 30 * day
	case "quarter":
		u = 90 * day
	case "year":
		u = 365 * day
	default:
		return 0, refuse("cannot read the unit in the duration %q", phrase)
	}
	if n > 3650 || time.Duration(n)*u > 10*365*day {
		return 0, refuse("the duration %q is longer than ten years; leave it out for standing access", phrase)
	}
	return time.Duration(n) * u, nil
}

const narrowingFor = "%q may narrow which data is meant (\"for approved loans\", \"for customers in Germany\"), which the policy cannot carry, and dropping it would grant all of the data; name the data by a table or tag, or give the reason as an activity (\"for fraud investigations\", \"to close Q3\")"

// activityWords are reasons written as a noun for an activity ("for
// payroll", "for the audit"), besides nouns ending like one ("-tion", "-ing").
var activityWords = set("audit", "review", "research", "care", "support", "close", "payroll", "purpose", "reason",
	"work", "job", "task", "duty", "report", "compliance", "check", "study", "project", "analytic", "analytics",
	"use", "need", "triage", "debug", "troubleshoot", "oversight", "treatment", "diagnosis", "quality", "safety",
	"security", "forensic", "forensics", "underwriting", "recertification", "litigation", "discovery", "response")

// activityPurpose reports whether a "for" purpose reads as the reason for
// the access ("fraud investigations", "month-end close") rather than a
// narrowing of the data ("approved loans", "customers in Germany"), which a
// policy cannot carry: a purpose is kept as a note, so it must not narrow.
func activityPurpose(purpose string) bool {
	words := normTokens(purpose)
	if len(words) == 0 || relational(words) != "" {
		return true // refused later, with the reason a relationship cannot be carried
	}
	if narrowingPurpose(purpose) {
		return false
	}
	head := words[len(words)-1]
	if activityWords[head] {
		return true
	}
	for _, suf := range []string{"tion", "sion", "ment", "ing", "sis", "ance", "ence", "ity", "ncy"} {
		if strings.HasSuffix(head, suf) && len(head) > len(suf)+2 {
			return true
		}
	}
	return false
}

// narrowingPurpose reports whether a purpose, however introduced, picks out
// some of the data or people ("to serve customers in Germany", "to review
// accounts that are overdue"): kept as a note, the draft would grant all.
func narrowingPurpose(purpose string) bool {
	words := normTokens(purpose)
	if relational(words) != "" {
		return false // refused later, with the reason a relationship cannot be carried
	}
	for _, w := range words {
		switch w {
		case "in", "from", "who", "whose", "that", "which", "with", "where", "at", "located", "based", "over", "under", "above", "below", "only":
			return true
		}
	}
	return false
}

// reHedge finds adverbs that negate, ration or hedge the access ("can
// hardly read", "may occasionally read", "partially"): the modal pattern
// skips adverbs, and skipping these would grant the access in full.
var reHedge = regexp.MustCompile(`(?i)\b(?:hardly|barely|scarcely|rarely|seldom|occasionally|sometimes|infrequently|sporadically|intermittently|periodically|partially|partly|conditionally|provisionally|tentatively|selectively|supposedly|allegedly|possibly|perhaps|maybe|probably|arguably|ostensibly|nominally|theoretically)\b`)

// hedge returns the first hedging adverb of s, or "". "Partially mask" is a
// kind of masking, not a hedge: a partial mask still masks.
func hedge(s string) string {
	for _, loc := range reHedge.FindAllStringIndex(s, -1) {
		w := strings.ToLower(s[loc[0]:loc[1]])
		next := strings.ToLower(strings.TrimSpace(s[loc[1]:]))
		if (w == "partially" || w == "partly") && (strings.HasPrefix(next, "mask") || strings.HasPrefix(next, "redact") || strings.HasPrefix(next, "hid") || strings.HasPrefix(next, "obfuscat") || strings.HasPrefix(next, "anonymi")) {
			continue
		}
		return w
	}
	return ""
}
