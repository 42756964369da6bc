package copilot

import (
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Sentences in the style of access-control requirement documents: modal
// verbs, passives, "the system shall ...", "only", negatives and the data
// subject written as a possessive or an "of" phrase. Each is judged by the
// grant it would make in testdata/clinic.yaml.
func TestDraftClinicRequirements(t *testing.T) {
	all := u("hana", "nick", "nell", "doug", "phoebe", "pat", "ada", "rey", "lee", "dana", "aud", "hugo")
	allBut := func(out ...string) []string { return except(all, out...) }
	nurses, contractors := u("nick", "nell"), u("nell", "rey", "dana")
	runDraftCases(t, "clinic", []draftCase{
		// modal verbs
		{sentence: "A nurse shall be able to view the medical records of patients.", want: allow(nurses, "ehr.medical_records")},
		{sentence: "Nurses should be able to read lab results.", want: allow(nurses, "lab.results")},
		{sentence: "Physicians must be able to update medical records.", want: allow(u("doug"), "ehr.medical_records").write()},
		{sentence: "A pharmacist is able to view prescriptions.", want: allow(u("phoebe"), "ehr.prescriptions")},
		{sentence: "Pharmacists are permitted to view prescriptions.", want: allow(u("phoebe"), "ehr.prescriptions")},
		{sentence: "Receptionists should be allowed to schedule appointments.", want: allow(u("rey"), "sched.appointments").write()},
		{sentence: "It shall be possible for nurses to view lab results.", want: allow(nurses, "lab.results")},
		// "has access to", "have read access to", "need access to"
		{sentence: "The receptionist has access to appointments.", want: allow(u("rey"), "sched.appointments")},
		{sentence: "Nurses have read access to lab results.", want: allow(nurses, "lab.results")},
		{sentence: "Nurses have write access to lab results.", want: allow(nurses, "lab.results").write()},
		{sentence: "Nurses can have access to lab results.", want: allow(nurses, "lab.results")},
		{sentence: "Nurses need access to lab results.", want: allow(nurses, "lab.results")},
		{sentence: "Nurses require access to lab results.", want: allow(nurses, "lab.results")},
		// passive voice and adjectives
		{sentence: "Patient records can be viewed by doctors.", want: allow(u("doug"), "ehr.medical_records")},
		{sentence: "Prescriptions may be changed by physicians only.", want: allow(u("doug"), "ehr.prescriptions").write()},
		{sentence: "Lab results are visible to nurses.", want: allow(nurses, "lab.results")},
		{sentence: "Lab results shall be available to nurses.", want: allow(nurses, "lab.results")},
		{sentence: "Medical records shall be accessible to physicians.", want: allow(u("doug"), "ehr.medical_records")},
		{sentence: "Medical records are accessible only by physicians.", want: allow(u("doug"), "ehr.medical_records")},
		{sentence: "Payroll is editable by HR.", want: allow(u("hugo"), "hr.payroll").write()},
		{sentence: "Medical records and lab results are visible to physicians.", want: allow(u("doug"), "ehr.medical_records", "lab.results")},
		// "only"
		{sentence: "Only the administrator can delete user accounts.", want: allow(u("ada", "hugo"), "iam.user_accounts").write()},
		{sentence: "Physicians only can change prescriptions.", want: allow(u("doug"), "ehr.prescriptions").write()},
		// the system as the grammatical subject
		{sentence: "The system shall allow HCPs to edit prescriptions.", want: allow(u("hana"), "ehr.prescriptions").write()},
		{sentence: "The system shall provide physicians with access to lab results.", want: allow(u("doug"), "lab.results")},
		{sentence: "The system must prevent contractors from viewing PHI.", want: allow(contractors, "ehr.medical_records", "ehr.prescriptions", "lab.results").deny()},
		{sentence: "The system shall prevent receptionists from accessing lab results.", want: allow(u("rey"), "lab.results").deny()},
		{sentence: "The system shall not allow patients to edit medical records.", want: allow(u("pat"), "ehr.medical_records").deny().write()},
		// negatives
		{sentence: "Nurses are not allowed to modify prescriptions.", want: allow(nurses, "ehr.prescriptions").deny().write()},
		{sentence: "Contractors shall not view PHI.", want: allow(contractors, "ehr.medical_records", "ehr.prescriptions", "lab.results").deny()},
		{sentence: "Receptionists are not permitted to view lab results.", want: allow(u("rey"), "lab.results").deny()},
		{sentence: "Receptionists may never view lab results.", want: allow(u("rey"), "lab.results").deny()},
		{sentence: "Nurses have no access to payroll.", want: allow(nurses, "hr.payroll").deny()},
		{sentence: "Pharmacists shall not be able to delete prescriptions.", want: allow(u("phoebe"), "ehr.prescriptions").deny().write()},
		{sentence: "Contractors may not access payroll under any circumstances.", want: allow(contractors, "hr.payroll").deny()},
		{sentence: "Under no circumstances may contractors access payroll.", want: allow(contractors, "hr.payroll").deny()},
		{sentence: "Payroll must not be modified by contractors.", want: allow(contractors, "hr.payroll").deny().write()},
		{sentence: "Audit logs must not be deleted.", want: allow(all, "sec.audit_log").deny().write()},
		{sentence: "Nobody but HR can view payroll.", want: allow(allBut("hugo"), "hr.payroll").deny()},
		// "X but not Y": the refused write verb leaves a read policy
		{sentence: "Nurses can view lab results but cannot modify them.", want: allow(nurses, "lab.results")},
		{sentence: "Nurses may view, but not edit, lab results.", want: allow(nurses, "lab.results")},
		{sentence: "Lab results can be viewed but not modified by nurses.", want: allow(nurses, "lab.results")},
		// verbs
		{sentence: "Auditors can download the audit log.", want: allow(u("aud"), "sec.audit_log")},
		{sentence: "Auditors can export audit logs.", want: allow(u("aud"), "sec.audit_log")},
		{sentence: "Receptionists can book appointments.", want: allow(u("rey"), "sched.appointments").write()},
		{sentence: "Receptionists can view and cancel appointments.", want: allow(u("rey"), "sched.appointments").write()},
		{sentence: "Physicians can append to medical records.", want: allow(u("doug"), "ehr.medical_records").write()},
		{sentence: "The administrator shall be able to create, modify and delete user accounts.", want: allow(u("ada", "hugo"), "iam.user_accounts").write()},
		// abbreviations and synonyms
		{sentence: "An HCP can view medical records.", want: allow(u("hana"), "ehr.medical_records")},
		{sentence: "DBAs can manage user accounts.", want: allow(u("dana"), "iam.user_accounts").write()},
		{sentence: "HR staff can update payroll.", want: allow(u("hugo"), "hr.payroll").write()},
		{sentence: "A physician can read a patient's medical record.", want: allow(u("doug"), "ehr.medical_records")},
		{sentence: "Nurses can view patients' medical records.", want: allow(nurses, "ehr.medical_records")},
		// conditions written as an obligation
		{sentence: "Nurses must complete HIPAA training before viewing medical records.", want: allow(u("nick"), "ehr.medical_records")},
		// durations
		{sentence: "Physicians can view medical records for 30 days.", want: allow(u("doug"), "ehr.medical_records").lasting(30 * day)},
		{sentence: "For 2 weeks, auditors can read the audit log.", want: allow(u("aud"), "sec.audit_log").lasting(14 * day)},

		// present tense "the system allows/prevents", "the only one who can"
		{sentence: "The system allows doctors to update prescriptions.", want: allow(u("doug"), "ehr.prescriptions").write()},
		{sentence: "The system lets nurses view lab results.", want: allow(nurses, "lab.results")},
		{sentence: "The system prevents contractors from viewing PHI.", want: allow(contractors, "ehr.medical_records", "ehr.prescriptions", "lab.results").deny()},
		{sentence: "The system does not allow patients to update prescriptions.", want: allow(u("pat"), "ehr.prescriptions").deny().write()},
		{sentence: "The administrator is the only one who can create user accounts.", want: allow(u("ada", "hugo"), "iam.user_accounts").write()},
		{sentence: "Physicians have permission to view lab results.", want: allow(u("doug"), "lab.results")},
		{sentence: "Physicians have the right to view lab results.", want: allow(u("doug"), "lab.results")},
		{sentence: "Lab technicians are responsible for updating lab results.", want: allow(u("lee"), "lab.results").write()},
		{sentence: "Nurses do not have permission to update prescriptions.", want: allow(nurses, "ehr.prescriptions").deny().write()},
		{sentence: "Receptionists can view but cannot modify appointments.", want: allow(u("rey"), "sched.appointments")},
		{sentence: "Nurses can read/write lab results.", want: allow(nurses, "lab.results").write()},
		{sentence: "Auditors may be given temporary access to lab results for 7 days.", want: allow(u("aud"), "lab.results").lasting(7 * day)},
		{sentence: "Temporary access to lab results may be given to auditors for 7 days.", want: allow(u("aud"), "lab.results").lasting(7 * day)},
		{sentence: "Access to payroll is available to HR.", want: allow(u("hugo"), "hr.payroll")},

		// a "not" item in a list is an exception, never an alternative: this
		// once allowed everyone but nurses to edit prescriptions
		{sentence: "Only physicians, not nurses, can edit prescriptions.", want: allow(u("doug"), "ehr.prescriptions").write()},
		{sentence: "Nurses can view lab results, not prescriptions.", want: allow(nurses, "lab.results")},
		// passive prohibitions
		{sentence: "Contractors are denied access to payroll.", want: allow(contractors, "hr.payroll").deny()},
		{sentence: "Access to payroll is denied to contractors.", want: allow(contractors, "hr.payroll").deny()},
		{sentence: "Contractors should be prevented from accessing payroll.", want: allow(contractors, "hr.payroll").deny()},
		{sentence: "Contractors are restricted from viewing payroll.", want: allow(contractors, "hr.payroll").deny()},

		// "access and modify" is a list of verbs, so write; permissions granted
		{sentence: "Physicians are able to access and modify lab results.", want: allow(u("doug"), "lab.results").write()},
		{sentence: "Physicians shall be granted permission to view lab results.", want: allow(u("doug"), "lab.results")},
		{sentence: "Physicians are given the permission to edit lab results.", want: allow(u("doug"), "lab.results").write()},
		{sentence: "Physicians shall be allowed read access to lab results.", want: allow(u("doug"), "lab.results")},
		{sentence: "Physicians have write privileges on lab results.", want: allow(u("doug"), "lab.results").write()},
		{sentence: "Physicians may read lab results only.", want: allow(u("doug"), "lab.results")},
		{sentence: "Physicians can electronically view lab results.", want: allow(u("doug"), "lab.results")},
		// people named through their role or group
		{sentence: "Users assigned to the nurse role can view lab results.", want: allow(nurses, "lab.results")},
		{sentence: "Users belonging to the security team can read audit logs.", want: allow(u("ada"), "sec.audit_log")},
		{sentence: "Nurse and physician roles can read lab results.", want: allow(u("doug", "nick", "nell"), "lab.results")},

		// refusals: relationships, end dates, whose data, unknown verbs, mixed policies
		{sentence: "Physicians can view lab results on their mobile devices.", refuse: `"their" ties the data`},
		{sentence: "Nurses can view not prescriptions.", refuse: "names a table to leave out"},
		{sentence: "Nurses may read lab results and physicians may update prescriptions.", refuse: "could not resolve object"},
		{sentence: "The patient's medical records can only be viewed by the patient's doctor.", refuse: `"patient's" ties the people to someone else`},
		{sentence: "An employee's manager can view payroll.", refuse: "ties the people to someone else"},
		{sentence: "Auditors may be given temporary access to lab results.", refuse: "not for how long"},
		{sentence: "Patients can view their own medical records.", refuse: `"their" ties the data`},
		{sentence: "Physicians can view medical records until end of quarter.", refuse: "cannot turn into a length of time"},
		{sentence: "Nurses can view PII of patients.", refuse: "says whose data it is"},
		{sentence: "Nurses can view the patient medical records.", refuse: `could not resolve object "the patient medical records"`},
		{sentence: "Patients can request appointments.", refuse: "no policy found"},
		{sentence: "Lab results can be read.", refuse: "no policy found"},
		{sentence: "Nurses can view lab results in an emergency.", refuse: "could not resolve object"},
		{sentence: "Only authorized users can view medical records.", refuse: `could not resolve subject "authorized users"`},
		{sentence: "Physicians can view and update medical records, and nurses can view them.", refuse: `"them" ties the data`},
	})
}

// Whose data it is only drops out when the catalog has no data of that name,
// and never for employees, whose data catalogs keep apart from customers'.
func TestDraftCorpDataSubjects(t *testing.T) {
	runDraftCases(t, "corp", []draftCase{
		{sentence: "Sales representatives can view customers' accounts.", want: allow(u("sal"), "crm.accounts")},
		{sentence: "Sales representatives can view the accounts of customers.", want: allow(u("sal"), "crm.accounts")},
		// "Customer" is a tag here, so it narrows PII instead of being dropped
		{sentence: "Sales representatives can view PII of customers.", want: allow(u("sal"), "crm.accounts")},
		{sentence: "Managers may approve expense reports.", want: allow(u("mia"), "fin.expense_reports").write()},
		{sentence: "Only approvers can approve expense reports.", want: allow(u("ace", "mia"), "fin.expense_reports").write()},
		{sentence: "Interns shall not be allowed to view customer orders.", want: allow(u("ian"), "crm.orders").deny()},
		{sentence: "The DBA shall have read access to invoices.", want: allow(u("dan"), "fin.invoices")},
		{sentence: "Accountants may view but not approve invoices.", want: allow(u("ace"), "fin.invoices")},
		{sentence: "Invoices are editable by accountants.", want: allow(u("ace"), "fin.invoices").write()},
		{sentence: "Nobody but accountants may delete invoices.", want: allow(u("mia", "hal", "dan", "sal", "ian"), "fin.invoices").deny().write()},

		{sentence: "Sales representatives can view employees' accounts.", refuse: "could not resolve object"},
		{sentence: "HR can view the records of employees.", refuse: "could not resolve object"},
		{sentence: "Accountants may approve but not view invoices.", refuse: "write access includes read"},
		{sentence: "DBAs can read and write all tables.", refuse: "cover every asset"},
	})
}

func TestDraftUniversityRequirements(t *testing.T) {
	runDraftCases(t, "university", []draftCase{
		{sentence: "Students are not allowed to modify grades.", want: allow(u("s1"), "sis.grades").deny().write()},
		{sentence: "Students shall not be able to change grades.", want: allow(u("s1"), "sis.grades").deny().write()},
		{sentence: "Grades shall be entered only by instructors.", want: allow(u("i1"), "sis.grades").write()},
		{sentence: "The system shall allow teaching assistants to view but not modify grades.", want: allow(u("t1", "t2"), "sis.grades")},
		{sentence: "Course evaluations are accessible to department chairs only.", want: allow(u("c1"), "sis.course_evaluations")},
		{sentence: "Financial aid counselors can view students' financial aid awards.", want: allow(u("f1"), "finaid.awards")},
		{sentence: "Admissions officers can view the applications of applicants.", want: allow(u("a1"), "admissions.applications")},
		{sentence: "Admins can't view grades.", want: allow(u("it1"), "sis.grades").deny()},

		{sentence: "TAs can view grades for the semester.", refuse: "period of time"},
		{sentence: "Students must never access transcripts of other students.", refuse: "could not resolve object"},
	})
}

func TestDecomposeRequirementForms(t *testing.T) {
	cases := []struct {
		sentence                        string
		effect, action, verb, subj, obj string
	}{
		{"Nurses have read access to lab results", "allow", "read", "read access", "Nurses", "lab results"},
		{"The receptionist has access to appointments", "allow", "read", "access", "The receptionist", "appointments"},
		{"Lab results are visible to nurses", "allow", "read", "read", "nurses", "Lab results"},
		{"Payroll shall not be editable by contractors", "deny", "write", "write", "contractors", "Payroll"},
		{"The system must prevent contractors from viewing PHI", "deny", "read", "viewing", "contractors", "PHI"},
		{"The system shall provide physicians with read access to lab results", "allow", "read", "read access", "physicians", "lab results"},
		{"It shall not be possible for patients to edit prescriptions", "deny", "write", "edit", "patients", "prescriptions"},
		{"Under no circumstances may contractors access payroll", "deny", "read", "access", "contractors", "payroll"},
		{"Nurses must complete HIPAA training before viewing medical records", "allow", "read", "view", "Nurses", "medical records"},
		{"Nurses may view, but not edit, lab results", "allow", "read", "view", "Nurses", "lab results"},
		{"Audit logs must not be modified or deleted", "deny", "write", "modify or delete", "everyone", "Audit logs"},
		{"Prescriptions may be changed by physicians only", "allow", "write", "change", "physicians", "Prescriptions"},
		{"Receptionists can schedule appointments", "allow", "write", "schedule", "Receptionists", "appointments"},
		{"Contractors are denied access to payroll", "deny", "read", "access", "Contractors", "payroll"},
		{"Access to payroll is denied to contractors", "deny", "read", "access", "contractors", "payroll"},
		{"Contractors should be prevented from accessing payroll", "deny", "read", "accessing", "Contractors", "payroll"},
		{"The system allows doctors to update prescriptions", "allow", "write", "update", "doctors", "prescriptions"},
		{"The system prevents contractors from viewing PHI", "deny", "read", "viewing", "contractors", "PHI"},
		{"Nurses can read/write lab results", "allow", "write", "read/write", "Nurses", "lab results"},
	}
	for _, tc := range cases {
		t.Run(tc.sentence, func(t *testing.T) {
			d, err := Decompose(tc.sentence)
			require.NoError(t, err)
			assert.Equal(t, tc.effect, d.Effect, "effect")
			assert.Equal(t, tc.action, d.Action, "action")
			assert.Equal(t, tc.verb, d.Verb, "verb")
			assert.Equal(t, []string{tc.subj}, d.Subjects, "subjects")
			assert.Equal(t, []string{tc.obj}, d.Objects, "objects")
		})
	}
}

// A "not" item in a list becomes an exception condition, so it can only
// narrow the policy.
func TestDecomposeNotItemsAreExceptions(t *testing.T) {
	d, err := Decompose("Only physicians, not nurses, can edit prescriptions")
	require.NoError(t, err)
	assert.Equal(t, []string{"physicians"}, d.Subjects)
	assert.Equal(t, []string{"not nurses"}, d.Conditions)

	d, err = Decompose("Nurses can view lab results, not prescriptions")
	require.NoError(t, err)
	assert.Equal(t, []string{"lab results"}, d.Objects)
	assert.Equal(t, []string{"not prescriptions"}, d.Conditions)
}

func TestDecomposeRequirementRefusals(t *testing.T) {
	cases := []struct{ sentence, want string }{
		// writing includes reading: "edit but not view" cannot be one policy
		{"Nurses can edit but not view lab results", "write access includes read"},
		{"Nurses cannot view but not edit lab results", "write access includes read"},
		// write has no finer grain: "edit but not delete" is not one policy
		{"Lab technicians can edit, but not delete, lab results", "write covers both"},
		// a passive without the people is a prohibition, never a guessed allow
		{"Lab results can be viewed", "no policy found"},
		{"Lab results shall be visible", "no policy found"},
	}
	runRefusals(t, cases)
}

// except is all without the ids in out, in order.
func except(all []string, out ...string) []string {
	var keep []string
	for _, id := range all {
		if !slices.Contains(out, id) {
			keep = append(keep, id)
		}
	}
	return keep
}

// runRefusals checks that each sentence is refused with a *RefusalError
// whose text contains want.
func runRefusals(t *testing.T, cases []struct{ sentence, want string }) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.sentence, func(t *testing.T) {
			_, err := Decompose(tc.sentence)
			require.Error(t, err)
			var refusal *RefusalError
			require.True(t, errors.As(err, &refusal), "refusals are *RefusalError: %T", err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
