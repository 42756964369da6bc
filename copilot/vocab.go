package copilot

// The built-in vocabulary of access governance: words people use for job
// titles, kinds of workers, kinds of data and places, and what a catalog
// usually calls them. An expansion only counts when it names something that
// exists in the catalog (by name, alias, description or level), so the
// vocabulary widens what the copilot understands without ever inventing
// metadata.

// vocabEntry maps spoken phrases to the catalog words they usually mean.
// keyHint, when set, limits attribute matches to attributes whose key or
// description contains one of these words (country codes only match a
// country-like attribute).
type vocabEntry struct {
	phrases []string
	expand  []string
	keyHint []string
	note    string
}

var locationKeys = []string{"country", "countries", "region", "location", "office", "site", "nation", "geo", "residence", "jurisdiction"}

var vocabulary = []vocabEntry{
	// job titles
	{phrases: []string{"comptroller", "controller", "financial controller", "finance controller"}, expand: []string{"comptroller", "controller", "financial controller"}, note: "comptroller and controller name the same role"},
	{phrases: []string{"lawyer", "attorney", "counsel", "legal counsel", "in-house counsel", "solicitor", "legal advisor"}, expand: []string{"legal counsel", "lawyer", "attorney", "counsel", "general counsel", "solicitor"}, note: "lawyers and attorneys are legal counsel"},
	{phrases: []string{"dev", "developer", "software developer", "programmer", "coder", "software engineer", "swe"}, expand: []string{"software engineer", "developer", "software developer", "programmer", "engineering"}, note: "developers are software engineers"},
	{phrases: []string{"engineer"}, expand: []string{"engineering", "software engineer"}, note: "engineers work in engineering"},
	{phrases: []string{"accountant"}, expand: []string{"accounting"}, note: "accountants work in accounting"},
	{phrases: []string{"hr", "hr people", "hr staff", "hr team", "people team", "people ops", "human resource", "hr department"}, expand: []string{"human resources", "hr", "people operations", "people ops"}, note: "HR is human resources"},
	{phrases: []string{"sales rep", "salesperson", "sales people", "salespeople", "sales representative", "seller"}, expand: []string{"sales representative", "account executive", "sales"}, note: "sales reps"},
	{phrases: []string{"support agent", "support rep", "customer support", "support staff", "customer service", "customer care", "support team", "customer support agent", "customer service agent"}, expand: []string{"customer support", "customer care", "customer service", "support"}, note: "customer support, service and care name the same function"},
	{phrases: []string{"exec", "executive", "c-suite", "c suite", "leadership", "senior leadership"}, expand: []string{"executive", "executives", "leadership", "c-suite"}, note: "executives"},
	{phrases: []string{"doctor", "physician", "medical doctor", "md"}, expand: []string{"physician", "doctor", "medical doctor", "md", "do"}, note: "doctors are physicians"},
	{phrases: []string{"nurse", "rn", "registered nurse"}, expand: []string{"nurse", "registered nurse", "nursing", "rn", "lpn", "nurse practitioner", "np"}, note: "nurses"},
	{phrases: []string{"pharmacist", "clinical pharmacist", "rph"}, expand: []string{"pharmacist", "pharmd", "pharm d", "rph", "pharmacy"}, note: "pharmacists (PharmD, RPh)"},
	{phrases: []string{"dba", "database administrator", "db admin"}, expand: []string{"database administrator", "dba"}, note: "DBAs are database administrators"},
	{phrases: []string{"sre", "site reliability engineer"}, expand: []string{"site reliability engineer", "sre"}, note: "SREs are site reliability engineers"},
	{phrases: []string{"pm", "product manager", "product owner"}, expand: []string{"product manager", "product owner"}, note: "PMs are product managers"},
	{phrases: []string{"qa", "tester", "qa engineer", "test engineer"}, expand: []string{"qa engineer", "quality assurance", "tester"}, note: "testers are QA engineers"},
	{phrases: []string{"auditor", "internal auditor"}, expand: []string{"auditor", "internal audit", "audit"}, note: "auditors work in audit"},
	{phrases: []string{"data scientist", "ml engineer", "machine learning engineer"}, expand: []string{"data scientist", "machine learning engineer", "ml engineer"}, note: "data science roles"},

	// kinds of workers
	{phrases: []string{"full-time", "full time", "fulltime", "full-timer", "full timer", "ft", "fte", "permanent", "permanent employee", "full-time employee", "full-time staff"}, expand: []string{"full-time", "full time", "fte", "permanent", "regular"}, note: "full-time employees"},
	{phrases: []string{"part-time", "part time", "parttime", "part-timer", "part timer", "pt"}, expand: []string{"part-time", "part time"}, note: "part-time employees"},
	{phrases: []string{"contractor", "contract", "contract worker", "contingent worker", "consultant", "vendor", "external", "freelancer", "non-employee", "contract staff"}, expand: []string{"contractor", "contract", "contingent", "consultant", "external"}, note: "contractors"},
	{phrases: []string{"intern", "internship", "trainee", "summer intern", "student worker"}, expand: []string{"intern", "internship", "trainee"}, note: "interns"},
	{phrases: []string{"seasonal", "seasonal worker", "seasonal staff", "seasonal employee", "holiday worker", "holiday staff", "temp", "temporary worker", "temporary staff", "temporary employee"}, expand: []string{"seasonal", "temporary", "temp"}, note: "seasonal and temporary workers"},
	{phrases: []string{"on call", "on-call", "oncall", "on call engineer", "pager", "on duty"}, expand: []string{"on call", "on-call", "oncall", "on call rotation", "on duty"}, note: "people on call"},
	{phrases: []string{"manager", "people manager", "line manager"}, expand: []string{"people manager", "manager"}, note: "managers"},

	// data categories
	{phrases: []string{"pii", "personal data", "personal information", "personally identifiable information", "personal info", "personal identifiable information", "personally identifiable data"}, expand: []string{"pii", "personal data", "personally identifiable information", "personal information"}, note: "PII is personally identifiable information"},
	{phrases: []string{"phi", "health data", "health information", "medical data", "medical information", "protected health information", "health record", "medical record", "patient data", "ephi"}, expand: []string{"phi", "protected health information", "health", "medical"}, note: "PHI is protected health information"},
	{phrases: []string{"patient record", "patient file", "patient chart", "medical chart", "medical file", "clinical record", "ehr", "emr", "electronic health record", "electronic medical record", "health file", "patient health record"}, expand: []string{"medical record", "health record", "patient record", "clinical record", "electronic health record", "electronic medical record"}, note: "patient records are medical records"},
	{phrases: []string{"hcp", "health care professional", "healthcare professional", "health professional", "clinician", "healthcare provider", "health care provider", "care provider", "medical professional", "medical staff"}, expand: []string{"health care professional", "healthcare professional", "hcp", "clinician", "healthcare provider"}, note: "HCPs are health care professionals"},
	{phrases: []string{"admin", "administrator", "sysadmin", "system administrator", "system admin", "it admin", "it administrator"}, expand: []string{"administrator", "system administrator", "it administrator", "admin"}, note: "admins are administrators"},
	{phrases: []string{"pci", "card data", "cardholder data", "payment card data", "payment data", "credit card data", "card information", "payment card information", "card info"}, expand: []string{"pci", "cardholder data", "payment card", "payment card data"}, note: "card data is PCI data"},
	{phrases: []string{"bank account", "bank account information", "bank account info", "bank account detail", "bank detail", "banking detail", "banking information", "bank info", "bank information", "bank account number", "account number", "iban", "bank data", "banking data"}, expand: []string{"bank account number", "bank account", "iban", "account number"}, note: "bank account information"},
	{phrases: []string{"card number", "credit card number", "credit card", "payment card number", "pan", "primary account number", "debit card number"}, expand: []string{"credit card number", "card number", "payment card number", "pan", "primary account number"}, note: "card numbers"},
	{phrases: []string{"cvv", "cvc", "cvv2", "card verification code", "card security code", "security code"}, expand: []string{"card verification code", "cvv", "cvc", "card security code"}, note: "card verification codes"},
	{phrases: []string{"ssn", "social security number", "social security", "social security no", "national id", "national identifier", "national insurance number"}, expand: []string{"social security number", "ssn", "national id", "national identifier"}, note: "SSNs are social security numbers"},
	{phrases: []string{"email", "email address", "e-mail", "e-mail address", "email addresse", "mail address"}, expand: []string{"email address", "email", "e-mail address"}, note: "email addresses"},
	{phrases: []string{"phone", "phone number", "telephone", "telephone number", "mobile number", "cell number"}, expand: []string{"phone number", "telephone number", "phone"}, note: "phone numbers"},
	{phrases: []string{"home address", "postal address", "street address", "mailing address", "physical address"}, expand: []string{"street address", "postal address", "address", "home address"}, note: "postal addresses"},
	{phrases: []string{"name", "person name", "full name", "customer name", "employee name", "people name", "first name", "last name"}, expand: []string{"person name", "full name", "name"}, note: "names of people"},
	{phrases: []string{"dob", "date of birth", "birth date", "birthdate", "birthday"}, expand: []string{"date of birth", "birth date", "dob"}, note: "dates of birth"},
	{phrases: []string{"salary", "salaries", "compensation", "pay data", "payroll data", "wage", "comp data"}, expand: []string{"salary", "compensation", "payroll"}, note: "compensation data"},
	{phrases: []string{"tax id", "tin", "taxpayer id", "taxpayer identification number", "ein"}, expand: []string{"tax id", "taxpayer identification number", "tin"}, note: "taxpayer identifiers"},
	{phrases: []string{"location data", "geolocation", "gps data", "gps", "coordinates", "lat long"}, expand: []string{"geolocation", "location", "gps"}, note: "location data"},
	{phrases: []string{"password", "credential", "secret", "api key", "access key"}, expand: []string{"credential", "secret", "password"}, note: "credentials"},
	{phrases: []string{"financial data", "finance data", "financials", "financial information", "financial record"}, expand: []string{"finance", "financial"}, note: "financial data"},
	{phrases: []string{"customer data", "customer information", "customer info", "customer record"}, expand: []string{"customer"}, note: "customer data"},
	{phrases: []string{"confidential", "confidential data", "confidential information"}, expand: []string{"confidential"}, note: "confidential data"},
	{phrases: []string{"public", "public data", "public information"}, expand: []string{"public"}, note: "public data"},
	{phrases: []string{"internal", "internal data", "internal only", "internal information"}, expand: []string{"internal"}, note: "internal data"},
	{phrases: []string{"highly sensitive", "highly sensitive data", "high sensitivity", "high sensitivity data", "very sensitive", "very sensitive data"}, expand: []string{"highly sensitive", "high sensitivity", "restricted", "highly confidential"}, note: "highly sensitive data"},
	{phrases: []string{"restricted", "restricted data", "highly confidential", "secret data", "sensitive data", "sensitive"}, expand: []string{"restricted", "highly confidential"}, note: "restricted data"},

	// places
	{phrases: []string{"eu", "european union", "the eu", "europe", "european", "eu country", "eu countries", "eea"}, expand: []string{"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "EU", "European Union"}, keyHint: locationKeys, note: "the EU's member states"},
	// "the Americas" is both continents, not America (the US).
	{phrases: []string{"americas", "the americas"}, expand: []string{"US", "CA", "MX", "BR", "AR", "CL", "CO", "PE", "UY", "PY", "BO", "EC", "VE", "CR", "PA", "GT", "HN", "SV", "NI", "DO", "CU", "AMER", "Americas", "North America", "Latin America", "LATAM"}, keyHint: locationKeys, note: "countries of the Americas"},
	{phrases: []string{"latam", "latin america", "latin american"}, expand: []string{"MX", "BR", "AR", "CL", "CO", "PE", "UY", "PY", "BO", "EC", "VE", "CR", "PA", "GT", "HN", "SV", "NI", "DO", "CU", "LATAM", "Latin America"}, keyHint: locationKeys, note: "Latin American countries"},
	// South America leaves out Mexico and Central America, which Latin America has.
	{phrases: []string{"south america", "south american"}, expand: []string{"BR", "AR", "CL", "CO", "PE", "UY", "PY", "BO", "EC", "VE", "GY", "SR", "South America"}, keyHint: locationKeys, note: "South American countries"},
	{phrases: []string{"apac", "asia pacific", "asia-pacific"}, expand: []string{"JP", "CN", "KR", "IN", "SG", "AU", "NZ", "HK", "TW", "ID", "MY", "TH", "VN", "PH", "APAC", "Asia Pacific"}, keyHint: locationKeys, note: "Asia-Pacific countries"},
	// Asia leaves out Australia and New Zealand, which Asia-Pacific has.
	{phrases: []string{"asia", "asian"}, expand: []string{"JP", "CN", "KR", "IN", "SG", "HK", "TW", "ID", "MY", "TH", "VN", "PH", "Asia"}, keyHint: locationKeys, note: "Asian countries"},
	{phrases: []string{"north america", "north american", "amer"}, expand: []string{"US", "CA", "MX", "North America"}, keyHint: locationKeys, note: "North American countries"},
	{phrases: []string{"emea"}, expand: []string{"EMEA", "GB", "UK", "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "CH", "NO", "AE", "SA", "ZA", "IL", "EG", "NG", "KE"}, keyHint: locationKeys, note: "Europe, the Middle East and Africa"},
}

// countries maps country names and demonyms to ISO 3166 alpha-2 codes.
var countries = map[string][]string{
	"US": {"united states", "united states of america", "usa", "u s", "us", "america", "american", "the us", "the united states", "the states"},
	"CA": {"canada", "canadian"},
	"MX": {"mexico", "mexican"},
	"BR": {"brazil", "brazilian"},
	"AR": {"argentina", "argentinian", "argentine"},
	"CL": {"chile", "chilean"},
	"CO": {"colombia", "colombian"},
	"PE": {"peru", "peruvian"},
	"GB": {"united kingdom", "uk", "great britain", "britain", "british", "england", "english"},
	"IE": {"ireland", "irish"},
	"FR": {"france", "french"},
	"DE": {"germany", "german"},
	"ES": {"spain", "spanish"},
	"PT": {"portugal", "portuguese"},
	"IT": {"italy", "italian"},
	"NL": {"netherlands", "the netherlands", "holland", "dutch"},
	"BE": {"belgium", "belgian"},
	"CH": {"switzerland", "swiss"},
	"AT": {"austria", "austrian"},
	"SE": {"sweden", "swedish"},
	"NO": {"norway", "norwegian"},
	"DK": {"denmark", "danish"},
	"FI": {"finland", "finnish"},
	"PL": {"poland", "polish"},
	"CZ": {"czech republic", "czechia", "czech"},
	"GR": {"greece", "greek"},
	"HU": {"hungary", "hungarian"},
	"RO": {"romania", "romanian"},
	"JP": {"japan", "japanese"},
	"CN": {"china", "chinese"},
	"KR": {"south korea", "korea", "korean"},
	"IN": {"india", "indian"},
	"SG": {"singapore", "singaporean"},
	"AU": {"australia", "australian"},
	"NZ": {"new zealand"},
	"HK": {"hong kong"},
	"TW": {"taiwan", "taiwanese"},
	"IL": {"israel", "israeli"},
	"AE": {"united arab emirates", "uae", "emirati"},
	"SA": {"saudi arabia", "saudi"},
	"ZA": {"south africa", "south african"},
	"NG": {"nigeria", "nigerian"},
	"KE": {"kenya", "kenyan"},
	"EG": {"egypt", "egyptian"},
	"PH": {"philippines", "filipino"},
	"ID": {"indonesia", "indonesian"},
	"VN": {"vietnam", "vietnamese"},
	"TH": {"thailand", "thai"},
	"MY": {"malaysia", "malaysian"},
	"TR": {"turkey", "turkish", "turkiye"},
	"UA": {"ukraine", "ukrainian"},
	"RU": {"russia", "russian"},
}

// Words that carry no meaning of their own in a subject or object phrase.
var (
	stopWords = set("the", "a", "an", "all", "any", "our", "their", "its", "every", "each", "of", "my", "your",
		"who", "that", "which", "are", "is", "those", "these", "this", "whole", "entire", "company", "companys")
	// subject words that stand for people in general.
	peopleWords = set("everyone", "everybody", "anyone", "anybody", "employee", "staff", "user", "people", "person",
		"personnel", "worker", "colleague", "individual", "organization", "organisation", "org", "member",
		"folk", "human", "teammate", "associate", "workforce", "one")
	// subject words that may be dropped after a more specific word ("the legal team").
	subjectFiller = set("team", "group", "department", "dept", "division", "unit", "function", "role", "title",
		"position", "squad", "crew", "office", "org", "organization", "organisation", "member", "employee",
		"staff", "user", "people", "person", "personnel", "worker", "colleague", "individual", "folk", "member",
		"teammate", "associate", "job", "level", "certified", "trained", "training", "course", "certification",
		"rotation", "shift", "duty", "s")
	// object words that stand for data in general.
	dataWords = set("data", "information", "info", "detail", "record", "table", "dataset", "column", "field",
		"asset", "file", "content", "everything", "anything", "thing", "database", "db", "schema", "view",
		"datum", "resource", "warehouse", "lake", "system", "source", "report", "document", "item", "object", "value",
		"bucket", "folder", "directory", "container", "history", "list")
	// object words that introduce the real object ("data containing X").
	objectLinkers = set("containing", "contain", "contains", "with", "tagged", "labeled", "labelled", "classified",
		"as", "that", "which", "include", "includes", "including", "holding", "hold", "carrying", "marked",
		"about", "having", "where", "flagged", "tag", "label", "category", "categorized", "categorised")
	// verbs and prepositions in front of a condition ("after completing X", "in Mexico").
	conditionLead = set("completing", "completed", "complete", "completes", "finish", "finished", "finishing",
		"finishes", "taken", "take", "taking", "took", "takes", "passed", "pass", "passing", "passes", "done", "do",
		"did", "doing", "attended", "attend", "attending", "hold", "holding", "holds", "have", "has", "having",
		"obtained", "obtain", "earned", "earn", "received", "receive", "got", "get", "with", "in", "from", "at",
		"within", "based", "located", "working", "work", "works", "living", "live", "lives", "employed", "sitting",
		"stationed", "residing", "belong", "belonging", "belongs", "to", "part", "member", "members", "of",
		"are", "is", "be", "been", "being", "they", "their", "the", "a", "an", "currently", "already", "also",
		"undergone", "undergo", "assigned", "certified", "trained", "successfully", "annual", "required", "mandatory", "s",
		"both", "either")
	// negating words in front of a condition.
	negators = set("not", "non", "outside", "except", "excluding", "never", "no", "nor", "without", "exclude")
	// words that join or relate others; never evidence on their own.
	functionWords = set("and", "or", "nor", "but", "for", "with", "without", "from", "in", "on", "to", "by", "at",
		"as", "not", "no", "of", "the", "a", "an", "into", "onto", "over", "under", "than", "then", "if", "who",
		"that", "which", "is", "are", "be", "can", "may", "must", "should", "will", "all", "any", "every", "each")
	// first-person subjects: access for oneself is a request, not a policy.
	firstPerson = set("i", "me", "myself", "we", "us", "ourselves", "mine")
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
