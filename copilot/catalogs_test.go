package copilot

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The catalogs in these tests are named the way warehouses and identity
// providers name things: camelCase and snake_case keys, titles with
// abbreviations and punctuation, IdP groups with prefixes, vendor tag
// hierarchies, key:value tags and fully qualified tables, with no aliases
// and no descriptions. Each sentence is judged by the grant it would make.

func TestDraftLakehouseNaming(t *testing.T) {
	everyone := u("fay", "fil", "dex", "dee", "sue", "sam", "hbp", "ace", "vic")
	engineering := u("dee", "dex", "sam", "sue")
	staging := []string{"snowflake.PROD.STAGING.STG_CUSTOMERS", "snowflake.PROD.STAGING.STG_ORDERS"}
	pii := []string{"bigquery:analytics.crm.customers", "s3://hr-exports/employees", "snowflake.PROD.STAGING.STG_CUSTOMERS"}
	high := []string{"bigquery:analytics.crm.customers", "bigquery:analytics.payments.card_transactions"}
	runDraftCases(t, "lakehouse", []draftCase{
		// an IdP group "grp-finance-analysts" and a region code
		{sentence: "Finance analysts in EMEA can read GL entries.", want: allow(u("fay"), "snowflake.PROD.FINANCE.GL_ENTRIES")},
		// GL is the general ledger; GL_ENTRIES is a table in a qualified name
		{sentence: "Financial analysts can read the general ledger entries.", want: allow(u("fay", "fil"), "snowflake.PROD.FINANCE.GL_ENTRIES")},
		{sentence: "Data engineers can read GL_ENTRIES.", want: allow(u("dee", "dex"), "snowflake.PROD.FINANCE.GL_ENTRIES")},
		{sentence: "Financial analysts can read PROD.FINANCE.GL_ENTRIES.", want: allow(u("fay", "fil"), "snowflake.PROD.FINANCE.GL_ENTRIES")},
		{sentence: "Financial analysts can read snowflake.PROD.FINANCE.GL_ENTRIES.", want: allow(u("fay", "fil"), "snowflake.PROD.FINANCE.GL_ENTRIES")},
		// AP is accounts payable; "VP of Finance" is "VP Finance"
		{sentence: "Financial analysts can read accounts payable invoices.", want: allow(u("fay", "fil"), "snowflake.PROD.FINANCE.AP_INVOICES")},
		{sentence: "The VP of Finance can read AP invoices.", want: allow(u("vic"), "snowflake.PROD.FINANCE.AP_INVOICES")},
		// a vendor-prefixed tag "Discovered.Entity.US Social Security Number"
		{sentence: "Contractors cannot see SSNs.", want: allow(u("dee", "fil"), "bigquery:analytics.crm.customers", "s3://hr-exports/employees").deny()},
		{sentence: "Mask SSNs for everyone outside HR.", want: allow(except(everyone, "hbp"), "bigquery:analytics.crm.customers", "s3://hr-exports/employees").mask()},
		// "Sr. Data Engineer" is a level of data engineer
		{sentence: "Data engineers can write to the staging tables for 2 weeks.", want: allow(u("dee", "dex"), staging...).write().lasting(14 * day)},
		{sentence: "Senior data engineers can read customers.", want: allow(u("dex"), "bigquery:analytics.crm.customers")},
		{sentence: "Data engineers in EMEA can read customers.", want: allow(u("dex"), "bigquery:analytics.crm.customers")},
		// "STG_ORDERS": stg is staging
		{sentence: "Engineers can read staging orders.", want: allow(engineering, "snowflake.PROD.STAGING.STG_ORDERS")},
		{sentence: "Engineers can read stg orders.", want: allow(engineering, "snowflake.PROD.STAGING.STG_ORDERS")},
		// PII.Email on a column
		{sentence: "Mask emails for everyone outside HR.", want: allow(except(everyone, "hbp"), "bigquery:analytics.crm.customers", "snowflake.PROD.STAGING.STG_CUSTOMERS").mask()},
		// "SWE II" is a software engineer
		{sentence: "Software engineers can read card transactions.", want: allow(u("sam", "sue"), "bigquery:analytics.payments.card_transactions")},
		{sentence: "SWEs can read card transactions.", want: allow(u("sam", "sue"), "bigquery:analytics.payments.card_transactions")},
		// snake_case tag credit_card_number; group team_fraud
		{sentence: "Mask credit card numbers for everyone except the fraud team.", want: allow(except(everyone, "sue"), "bigquery:analytics.payments.card_transactions").mask()},
		{sentence: "Mask credit card numbers for interns.", want: allow(u("sam"), "bigquery:analytics.payments.card_transactions").mask()},
		{sentence: "The fraud team can read card transactions.", want: allow(u("sue"), "bigquery:analytics.payments.card_transactions")},
		// okta:engineering and dept Engineering hold the same people; "group" picks the group
		{sentence: "Members of the engineering group can read staging tables.", want: allow(engineering, staging...)},
		{sentence: "Members of okta:engineering can write to staging tables.", want: allow(engineering, staging...).write()},
		{sentence: "Engineering can read staging tables.", want: allow(engineering, staging...)},
		{sentence: "The grp-finance-analysts group can read AP invoices.", want: allow(u("fay", "fil"), "snowflake.PROD.FINANCE.AP_INVOICES")},
		// employee_type FTE
		{sentence: "FTEs can read confidential data.", want: allow(u("ace", "dex", "fay", "hbp", "sue", "vic"), "s3://hr-exports/employees", "snowflake.PROD.FINANCE.GL_ENTRIES")},
		{sentence: "Non-FTE staff cannot read PII.", want: allow(u("dee", "fil", "sam"), pii...).deny()},
		// key:value tags sensitivity:high, sensitivity:low
		{sentence: "Interns cannot read highly sensitive data.", want: allow(u("sam"), high...).deny()},
		{sentence: "Contractors may not access high sensitivity data.", want: allow(u("dee", "fil"), high...).deny()},
		{sentence: "Engineers can read data tagged sensitivity:high.", want: allow(engineering, high...)},
		{sentence: "Engineers can read low sensitivity data.", want: allow(engineering, "snowflake.PROD.STAGING.STG_ORDERS")},
		// object-store paths: the last part is the file, the one before the folder
		{sentence: "HR business partners can read employee records.", want: allow(u("hbp"), "s3://hr-exports/employees")},
		{sentence: "HR can read the hr-exports bucket.", want: allow(u("hbp"), "s3://hr-exports/employees")},
		{sentence: "Engineers can read brochures.", want: allow(engineering, "s3://marketing/brochures")},
		// "bigquery:analytics.crm.customers": schema and table together
		{sentence: "Sales can read the CRM customers table.", want: allow(u("ace"), "bigquery:analytics.crm.customers")},
		{sentence: "Nobody outside finance can read the finance schema.", want: allow(u("ace", "dee", "dex", "hbp", "sam", "sue"), "snowflake.PROD.FINANCE.AP_INVOICES", "snowflake.PROD.FINANCE.GL_ENTRIES").deny()},
		{sentence: "Engineers who completed PCI DSS training can read card transactions.", want: allow(u("sue"), "bigquery:analytics.payments.card_transactions")},
		{sentence: "Contractors in AMER cannot read confidential data.", want: allow(u("fil"), "s3://hr-exports/employees", "snowflake.PROD.FINANCE.GL_ENTRIES").deny()},

		// the camelCase key jobTitle named in the sentence
		{sentence: "Staff whose job title is Data Engineer can read customers.", want: allow(u("dee", "dex"), "bigquery:analytics.crm.customers")},
		{sentence: "People with the job title Financial Analyst can read GL entries.", want: allow(u("fay", "fil"), "snowflake.PROD.FINANCE.GL_ENTRIES")},
		{sentence: "Staff in the Finance dept can read GL entries.", want: allow(u("fay", "fil", "vic"), "snowflake.PROD.FINANCE.GL_ENTRIES")},
		{sentence: "EMEA FTEs can read GL entries.", want: allow(u("dex", "fay", "hbp"), "snowflake.PROD.FINANCE.GL_ENTRIES")},
		{sentence: "Sr. Data Engineers can read customers.", want: allow(u("dex"), "bigquery:analytics.crm.customers")},
		// names written as the catalog writes them
		{sentence: "Mask PII.Email for contractors.", want: allow(u("dee", "fil"), "bigquery:analytics.crm.customers", "snowflake.PROD.STAGING.STG_CUSTOMERS").mask()},
		{sentence: "Contractors cannot read Classification.Confidential data.", want: allow(u("dee", "fil"), "s3://hr-exports/employees", "snowflake.PROD.FINANCE.GL_ENTRIES").deny()},
		{sentence: "Engineers can read analytics.payments.card_transactions.", want: allow(engineering, "bigquery:analytics.payments.card_transactions")},
		{sentence: "HR business partners can read s3://hr-exports/employees.", want: allow(u("hbp"), "s3://hr-exports/employees")},
		{sentence: "Engineers can read the payments dataset.", want: allow(engineering, "bigquery:analytics.payments.card_transactions")},
		{sentence: "Engineers can read the CRM schema.", want: allow(engineering, "bigquery:analytics.crm.customers")},

		// refused with the nearest entries rather than guessed
		{sentence: "Analysts can read GL entries.", refuse: `jobTitle "Financial Analyst"`},
		{sentence: "Fraud analysts can read card transactions.", refuse: `group "team_fraud"`},
		{sentence: "Vice presidents can read GL entries.", refuse: `jobTitle "VP Finance"`},
		{sentence: "Everyone can read reports.", refuse: "would cover every asset"},
		{sentence: "HR can read the employees export.", refuse: "asset s3://hr-exports/employees"},
	})
}

func TestDraftMedCenterNaming(t *testing.T) {
	phi := []string{"s3://ehr-prod/encounters", "s3://ehr-prod/medications", "s3://radiology/imaging_reports"}
	runDraftCases(t, "medcenter", []draftCase{
		// job_function RN, M.D., Pharm.D.
		{sentence: "RNs can read encounters.", want: allow(u("rna", "rnb"), "s3://ehr-prod/encounters")},
		{sentence: "Registered nurses can read medications.", want: allow(u("rna", "rnb"), "s3://ehr-prod/medications")},
		{sentence: "Nurses in the ICU can read encounters.", want: allow(u("rna"), "s3://ehr-prod/encounters")},
		{sentence: "Doctors can update encounters.", want: allow(u("mdc"), "s3://ehr-prod/encounters").write()},
		{sentence: "MDs can read imaging reports.", want: allow(u("mdc"), "s3://radiology/imaging_reports")},
		{sentence: "Physicians with ACLS certification can read encounters.", want: allow(u("mdc"), "s3://ehr-prod/encounters")},
		{sentence: "Pharmacists can read medications.", want: allow(u("phd"), "s3://ehr-prod/medications")},
		// "Lab Tech"
		{sentence: "Lab techs can read imaging reports.", want: allow(u("lab"), "s3://radiology/imaging_reports")},
		{sentence: "Lab technicians can read imaging reports.", want: allow(u("lab"), "s3://radiology/imaging_reports")},
		// org_unit "People Ops"
		{sentence: "HR business partners can read the staff roster.", want: allow(u("hrp"), "s3://people/staff_roster")},
		{sentence: "People Ops can read the staff roster.", want: allow(u("hrp"), "s3://people/staff_roster")},
		{sentence: "HR can read the staff roster.", want: allow(u("hrp"), "s3://people/staff_roster")},
		{sentence: "Mask email addresses for everyone except HR.", want: allow(u("bil", "lab", "mdc", "phd", "rna", "rnb", "vol"), "s3://people/staff_roster").mask()},
		// groups team_billing, ad:ehr-admins
		{sentence: "The billing team can read claims.", want: allow(u("bil"), "s3://billing/claims")},
		{sentence: "Billing specialists can read claims for 2 weeks.", want: allow(u("bil"), "s3://billing/claims").lasting(14 * day)},
		{sentence: "EHR admins can write to encounters.", want: allow(u("lab"), "s3://ehr-prod/encounters").write()},
		// Discovered.Entity.* tags on columns
		{sentence: "Contractors cannot see SSNs.", want: allow(u("bil", "rnb"), "s3://billing/claims", "s3://people/staff_roster").deny()},
		{sentence: "Mask dates of birth for contractors.", want: allow(u("bil", "rnb"), "s3://billing/claims", "s3://ehr-prod/encounters").mask()},
		{sentence: "Mask medical record numbers for everyone outside the ICU.", want: allow(u("bil", "hrp", "lab", "rnb", "vol"), "s3://ehr-prod/encounters", "s3://ehr-prod/medications").mask()},
		// phi.diagnosis: "diagnoses" is the plural of diagnosis
		{sentence: "Staff who completed HIPAA privacy training can read diagnoses.", want: allow(u("mdc", "rna"), "s3://ehr-prod/encounters")},
		{sentence: "Volunteers cannot read PHI.", want: allow(u("vol"), phi...).deny()},
		{sentence: "Radiology can read imaging reports.", want: allow(u("lab", "rnb"), "s3://radiology/imaging_reports")},
		{sentence: "M.D.s can read encounters.", want: allow(u("mdc"), "s3://ehr-prod/encounters")},
		{sentence: "Nurses with ACLS can read encounters.", want: allow(u("rna"), "s3://ehr-prod/encounters")},
		{sentence: "Staff with BLS certification can read encounters.", want: allow(u("rna", "rnb"), "s3://ehr-prod/encounters")},
		{sentence: "Mask US social security numbers for contractors.", want: allow(u("bil", "rnb"), "s3://billing/claims", "s3://people/staff_roster").mask()},
		{sentence: "Non-employees cannot read PHI.", want: allow(u("bil", "rnb", "vol"), phi...).deny()},
	})
}

func TestDraftGovLabNaming(t *testing.T) {
	runDraftCases(t, "govlab", []draftCase{
		// clearance Secret is not Top Secret; camelCase tag classifiedReport
		{sentence: "Only people with secret clearance can read classified reports.", want: allow(u("pam", "rob"), "bigquery:lab-prod.reports.classified_reports")},
		{sentence: "People with top secret clearance can read classified reports.", want: allow(u("rex", "sol"), "bigquery:lab-prod.reports.classified_reports")},
		{sentence: "Staff with secret or top secret clearance can read classified reports.", want: allow(u("pam", "rex", "rob", "sol"), "bigquery:lab-prod.reports.classified_reports")},
		{sentence: "Staff with confidential clearance can read quarterly summaries.", want: allow(u("dev", "ria"), "bigquery:lab-prod.reports.quarterly_summaries")},
		// levels L4, L5, in front or behind
		{sentence: "Research scientists can read experiment results.", want: allow(u("rex", "ria", "rob"), "bigquery:lab-prod.research.experiment_results")},
		{sentence: "L5 research scientists can read export controlled data.", want: allow(u("rex", "rob"), "bigquery:lab-prod.research.experiment_results")},
		{sentence: "Level 5 research scientists can read classified reports.", want: allow(u("rex", "rob"), "bigquery:lab-prod.reports.classified_reports")},
		{sentence: "Research Scientist Level 4 staff can read quarterly summaries.", want: allow(u("ria"), "bigquery:lab-prod.reports.quarterly_summaries")},
		{sentence: "Research scientists in Germany cannot read export-controlled data.", want: allow(u("ria"), "bigquery:lab-prod.research.experiment_results").deny()},
		// camelCase tags creditCardNumber, personalEmail
		{sentence: "Mask credit card numbers for everyone except security officers.", want: allow(u("dev", "pam", "rex", "ria", "rob"), "bigquery:lab-prod.finance.travel_expenses").mask()},
		{sentence: "Mask personal emails for program managers.", want: allow(u("pam"), "bigquery:lab-prod.finance.travel_expenses").mask()},
		// groups "Program Leads", "sec-ops"; "SecOps" is security operations
		{sentence: "Program leads can read travel expenses.", want: allow(u("pam"), "bigquery:lab-prod.finance.travel_expenses")},
		{sentence: "The security ops team can read classified reports.", want: allow(u("sol"), "bigquery:lab-prod.reports.classified_reports")},
		{sentence: "SecOps can read classified reports.", want: allow(u("sol"), "bigquery:lab-prod.reports.classified_reports")},
		// location codes, cost_center "CC-100 Research"
		{sentence: "Employees in the US can read quarterly summaries.", want: allow(u("dev", "pam", "rob"), "bigquery:lab-prod.reports.quarterly_summaries")},
		{sentence: "Employees in EMEA can read quarterly summaries.", want: allow(u("rex", "ria", "sol"), "bigquery:lab-prod.reports.quarterly_summaries")},
		{sentence: "People in the research cost center can read experiment results.", want: allow(u("rex", "ria", "rob"), "bigquery:lab-prod.research.experiment_results")},
		// "DevOps Engineer" however it is cased
		{sentence: "DevOps engineers can read quarterly summaries.", want: allow(u("dev"), "bigquery:lab-prod.reports.quarterly_summaries")},
		{sentence: "Devops engineers can read quarterly summaries.", want: allow(u("dev"), "bigquery:lab-prod.reports.quarterly_summaries")},
		// US_SOCIAL_SECURITY_NUMBER, pii:true, a file in a folder
		{sentence: "Mask SSNs for everyone except security officers.", want: allow(u("dev", "pam", "rex", "ria", "rob"), "s3://lab-exports/hr/headcount_2024.csv").mask()},
		{sentence: "Program managers cannot read PII.", want: allow(u("pam"), "s3://lab-exports/hr/headcount_2024.csv").deny()},
		{sentence: "Security officers can read headcount_2024.", want: allow(u("sol"), "s3://lab-exports/hr/headcount_2024.csv")},
		{sentence: "Security officers can read the hr folder.", want: allow(u("sol"), "s3://lab-exports/hr/headcount_2024.csv")},
		{sentence: "Security officers can read the reports dataset.", want: allow(u("sol"), "bigquery:lab-prod.reports.classified_reports", "bigquery:lab-prod.reports.quarterly_summaries")},

		// refused rather than guessed
		{sentence: "Scientists can read classified reports.", refuse: `title "Research Scientist L5"`},
		{sentence: "Cleared staff can read classified reports.", refuse: `could not resolve subject "Cleared staff"`},
		{sentence: "Mask email addresses for research scientists.", refuse: `tag "personalEmail"`},
		// "7 year retention" describes the data, not how long access lasts
		{sentence: "Program managers can read data with 7 year retention.", refuse: `tag "retention=7y"`},
		{sentence: "Nobody can read data.", refuse: "would cover every asset"},
	})
}

func TestDraftRetailNaming(t *testing.T) {
	const (
		factSales = "mssql.retail_dw.dbo.fact_sales"
		dimCust   = "mssql.retail_dw.dbo.dim_customer"
		payments  = "mssql.retail_dw.dbo.Store_Payments"
		shrinkage = "postgres.pos.public.shrinkage_events"
	)
	usa := u("ca1", "rd", "sm2")
	runDraftCases(t, "retail", []draftCase{
		// Title "Store Mgr" and group "Store Managers" hold the same people
		{sentence: "Store managers can read sales facts.", want: allow(u("sm1", "sm2"), factSales)},
		{sentence: "Store managers can read the sales fact table.", want: allow(u("sm1", "sm2"), factSales)},
		{sentence: "Store managers in Germany can read fact_sales.", want: allow(u("sm1"), factSales)},
		{sentence: "German store managers can read fact sales.", want: allow(u("sm1"), factSales)},
		{sentence: "Mask PCI data for everyone except store managers.", want: allow(u("asm", "ca1", "ca2", "lp", "rd"), payments).mask()},
		// "Asst. Store Manager"
		{sentence: "Assistant store managers can read shrinkage events.", want: allow(u("asm"), shrinkage)},
		// an LDAP distinguished name as the group
		{sentence: "Loss prevention can read shrinkage events.", want: allow(u("lp"), shrinkage)},
		{sentence: "The loss prevention team can read store payments.", want: allow(u("lp"), payments)},
		// countries spelled out; the sentence names them by code, name or demonym
		{sentence: "Employees in the United States can read revenue data.", want: allow(usa, factSales)},
		{sentence: "Employees in the US can read revenue data.", want: allow(usa, factSales)},
		{sentence: "American employees can read revenue data.", want: allow(usa, factSales)},
		{sentence: "Employees in North America can read revenue data.", want: allow(usa, factSales)},
		{sentence: "French employees can read the customer dimension.", want: allow(u("asm", "lp"), dimCust)},
		// tag "Finance/Revenue", "customer_pii", "sensitivity=restricted"
		{sentence: "Regional directors can read revenue.", want: allow(u("rd"), factSales)},
		{sentence: "Seasonal staff cannot read customer PII.", want: allow(u("ca2"), dimCust).deny()},
		{sentence: "Part-time employees cannot read restricted data.", want: allow(u("ca1"), payments).deny()},
		{sentence: "Cashiers cannot read cardholder data.", want: allow(u("ca1", "ca2"), payments).deny()},
		{sentence: "Full-time staff in AMER can read fact sales.", want: allow(u("rd", "sm2"), factSales)},
		{sentence: "Data analysts can read customer dimension table.", want: allow(u("lp"), dimCust)},
		// "managers" alone is not a title here
		{sentence: "Managers can read fact sales.", refuse: `Title "Store Mgr"`},
	})
}

func TestTokensOfCatalogNames(t *testing.T) {
	cases := []struct{ in, want string }{
		{"creditCardNumber", "credit card number"},
		{"credit_card_number", "credit card number"},
		{"GLEntries", "gl entries"},
		{"SSNs", "ssn"},
		{"M.D.", "md"},
		{"R.N. on call", "rn on call"},
		{"Sr. Data Engineer", "sr data engineer"},
		{"iPhone", "iphone"},
		{"PII.Email", "pii email"},
		{"sensitivity:high", "sensitivity high"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, strings.Join(tokens(tc.in), " "), tc.in)
	}
	norm := []struct{ in, want string }{
		{"SWE II", "software engineer ii"},
		{"Sr. Data Engineers", "senior data engineer"},
		{"AP_INVOICES", "account payable invoice"},
		{"accounts payable invoices", "account payable invoice"},
		{"Lab Techs", "lab technician"},
		{"diagnoses", "diagnosis"},
		{"Accountant Level 3", "accountant l3"},
		{"level 12", "level 12"},
	}
	for _, tc := range norm {
		assert.Equal(t, tc.want, normKey(tc.in), tc.in)
	}
}

func TestCatalogNameParts(t *testing.T) {
	assert.Equal(t, "finance analyst", groupBaseName("grp-finance-analysts"))
	assert.Equal(t, "engineering", groupBaseName("okta:engineering"))
	assert.Equal(t, "fraud", groupBaseName("team_fraud"))
	assert.Equal(t, "team lead", groupBaseName("Team Leads"), "a plain name keeps its words")
	assert.Equal(t, "loss prevention", groupBaseName("cn=loss-prevention,ou=groups,dc=corp"))
	assert.Equal(t, []string{"Finance", "Revenue"}, tagPath("Finance/Revenue"))
	assert.Equal(t, "Discovered.Entity", tagPrefix("Discovered.Entity.Email Address", 2))
	assert.Equal(t, []string{"hr-exports", "employees"}, assetPath("s3://hr-exports/employees"))
	assert.Equal(t, []string{"lab-exports", "hr", "headcount_2024"}, assetPath("s3://lab-exports/hr/headcount_2024.csv"))
	assert.Equal(t, []string{"bigquery", "proj", "dataset", "table"}, assetPath("bigquery:proj.dataset.table"))
	assert.Contains(t, keyValueNames("sensitivity", "high"), "highly sensitive")
	assert.Equal(t, []string{"pii"}, keyValueNames("pii", "true"))
	assert.Empty(t, keyValueNames("pii", "false"))
}
