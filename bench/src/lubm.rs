//! LUBM-style university data and RDFS/OWL-RL-like rules.
//!
//! The schema (class and property hierarchy, domains, ranges, inverse and
//! transitive properties) is data, as in an RDF store; the rules are the
//! generic ones (subclass and subproperty closure, domain/range typing,
//! inverse and transitive properties) plus four derived predicates shaped
//! like LUBM queries 2, 9, 13 and a membership-through-suborganisation query.
//!
//! The generated ontology is built so that its closure can also be computed
//! by a fixed pipeline (subproperties, then inverses, then transitivity, then
//! typing), which is what the SQL peers do: no super-property or inverse of
//! an inverse leads back into an earlier step. The tuple-count check between
//! engines confirms it.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::datalog::{atom, c, rule, v, Pred, Program, Rule};

/// Classes (ids 0..100).
pub mod class {
    pub const THING: i64 = 0;
    pub const ORGANIZATION: i64 = 1;
    pub const UNIVERSITY: i64 = 2;
    pub const DEPARTMENT: i64 = 3;
    pub const RESEARCH_GROUP: i64 = 4;
    pub const PERSON: i64 = 5;
    pub const EMPLOYEE: i64 = 6;
    pub const FACULTY: i64 = 7;
    pub const PROFESSOR: i64 = 8;
    pub const FULL_PROFESSOR: i64 = 9;
    pub const ASSOCIATE_PROFESSOR: i64 = 10;
    pub const ASSISTANT_PROFESSOR: i64 = 11;
    pub const LECTURER: i64 = 12;
    pub const CHAIR: i64 = 13;
    pub const STUDENT: i64 = 14;
    pub const UNDERGRADUATE_STUDENT: i64 = 15;
    pub const GRADUATE_STUDENT: i64 = 16;
    pub const TEACHING_ASSISTANT: i64 = 17;
    pub const WORK: i64 = 18;
    pub const COURSE: i64 = 19;
    pub const GRADUATE_COURSE: i64 = 20;
    pub const PUBLICATION: i64 = 21;
}

/// Properties (ids 100..200).
pub mod prop {
    pub const MEMBER_OF: i64 = 100;
    pub const WORKS_FOR: i64 = 101;
    pub const HEAD_OF: i64 = 102;
    pub const MEMBER: i64 = 103;
    pub const SUB_ORGANIZATION_OF: i64 = 104;
    pub const TAKES_COURSE: i64 = 105;
    pub const TEACHER_OF: i64 = 106;
    pub const ADVISOR: i64 = 107;
    pub const DEGREE_FROM: i64 = 108;
    pub const UNDERGRADUATE_DEGREE_FROM: i64 = 109;
    pub const MASTERS_DEGREE_FROM: i64 = 110;
    pub const DOCTORAL_DEGREE_FROM: i64 = 111;
    pub const HAS_ALUMNUS: i64 = 112;
    pub const PUBLICATION_AUTHOR: i64 = 113;
    pub const TEACHING_ASSISTANT_OF: i64 = 114;
}

/// Universities that degrees may come from (LUBM draws from 1,000); the
/// first `n` of them are the generated ones.
const UNIVERSITY_POOL: i64 = 1_000;
/// First id of a university in the pool.
const FIRST_UNIVERSITY: i64 = 1_000;
/// First id of every other entity.
const FIRST_ENTITY: i64 = FIRST_UNIVERSITY + UNIVERSITY_POOL;

/// The rules and predicates.
pub fn program() -> Program {
    use class::*;
    use prop::*;
    let p2 = |name| Pred { name, arity: 2 };
    let p3 = |name| Pred { name, arity: 3 };
    let rules: Vec<Rule> = vec![
        // Subclass and subproperty closure.
        rule(
            atom("sc", vec![v("c"), v("d")]),
            vec![atom("subclass", vec![v("c"), v("d")])],
        ),
        rule(
            atom("sc", vec![v("c"), v("e")]),
            vec![
                atom("sc", vec![v("c"), v("d")]),
                atom("subclass", vec![v("d"), v("e")]),
            ],
        ),
        rule(
            atom("sp", vec![v("p"), v("q")]),
            vec![atom("subprop", vec![v("p"), v("q")])],
        ),
        rule(
            atom("sp", vec![v("p"), v("r")]),
            vec![
                atom("sp", vec![v("p"), v("q")]),
                atom("subprop", vec![v("q"), v("r")]),
            ],
        ),
        // Property assertions: asserted, inherited, inverse, transitive.
        rule(
            atom("t", vec![v("s"), v("p"), v("o")]),
            vec![atom("triple", vec![v("s"), v("p"), v("o")])],
        ),
        rule(
            atom("t", vec![v("s"), v("q"), v("o")]),
            vec![
                atom("t", vec![v("s"), v("p"), v("o")]),
                atom("sp", vec![v("p"), v("q")]),
            ],
        ),
        rule(
            atom("t", vec![v("o"), v("q"), v("s")]),
            vec![
                atom("t", vec![v("s"), v("p"), v("o")]),
                atom("inverse", vec![v("p"), v("q")]),
            ],
        ),
        rule(
            atom("t", vec![v("s"), v("p"), v("u")]),
            vec![
                atom("transitive", vec![v("p")]),
                atom("t", vec![v("s"), v("p"), v("o")]),
                atom("t", vec![v("o"), v("p"), v("u")]),
            ],
        ),
        // Typing: asserted, domain, range, subclass.
        rule(
            atom("typ", vec![v("x"), v("c")]),
            vec![atom("asserted", vec![v("x"), v("c")])],
        ),
        rule(
            atom("typ", vec![v("s"), v("c")]),
            vec![
                atom("t", vec![v("s"), v("p"), v("o")]),
                atom("dom", vec![v("p"), v("c")]),
            ],
        ),
        rule(
            atom("typ", vec![v("o"), v("c")]),
            vec![
                atom("t", vec![v("s"), v("p"), v("o")]),
                atom("rng", vec![v("p"), v("c")]),
            ],
        ),
        rule(
            atom("typ", vec![v("x"), v("d")]),
            vec![
                atom("typ", vec![v("x"), v("c")]),
                atom("sc", vec![v("c"), v("d")]),
            ],
        ),
        // LUBM Q2: graduate students who are members of a department of the
        // university they took their first degree from.
        rule(
            atom("q1", vec![v("x"), v("u")]),
            vec![
                atom("typ", vec![v("x"), c(GRADUATE_STUDENT)]),
                atom("t", vec![v("x"), c(MEMBER_OF), v("d")]),
                atom("t", vec![v("d"), c(SUB_ORGANIZATION_OF), v("u")]),
                atom("typ", vec![v("u"), c(UNIVERSITY)]),
                atom("t", vec![v("x"), c(UNDERGRADUATE_DEGREE_FROM), v("u")]),
            ],
        ),
        // LUBM Q9: students taking a course taught by their advisor.
        rule(
            atom("q2", vec![v("x"), v("y"), v("z")]),
            vec![
                atom("typ", vec![v("x"), c(STUDENT)]),
                atom("t", vec![v("x"), c(ADVISOR), v("y")]),
                atom("typ", vec![v("y"), c(FACULTY)]),
                atom("t", vec![v("x"), c(TAKES_COURSE), v("z")]),
                atom("t", vec![v("y"), c(TEACHER_OF), v("z")]),
            ],
        ),
        // LUBM Q13: alumni of a university (through the inverse property).
        rule(
            atom("q3", vec![v("x"), v("u")]),
            vec![
                atom("typ", vec![v("u"), c(UNIVERSITY)]),
                atom("t", vec![v("u"), c(HAS_ALUMNUS), v("x")]),
                atom("typ", vec![v("x"), c(PERSON)]),
            ],
        ),
        // Members of a university through transitive suborganisations.
        rule(
            atom("q4", vec![v("x"), v("u")]),
            vec![
                atom("typ", vec![v("x"), c(PERSON)]),
                atom("t", vec![v("x"), c(MEMBER_OF), v("d")]),
                atom("t", vec![v("d"), c(SUB_ORGANIZATION_OF), v("u")]),
                atom("typ", vec![v("u"), c(UNIVERSITY)]),
            ],
        ),
    ];
    Program {
        base: vec![
            p3("triple"),
            p2("asserted"),
            p2("subclass"),
            p2("subprop"),
            p2("dom"),
            p2("rng"),
            p2("inverse"),
            Pred {
                name: "transitive",
                arity: 1,
            },
        ],
        derived: vec![
            p2("sc"),
            p2("sp"),
            p3("t"),
            p2("typ"),
            p2("q1"),
            p3("q2"),
            p2("q3"),
            p2("q4"),
        ],
        rules,
    }
}

/// The schema: `(subclass, subprop, dom, rng, inverse, transitive)` rows.
fn schema() -> Vec<(&'static str, Vec<Vec<i64>>)> {
    use class::*;
    use prop::*;
    let pairs = |rows: &[(i64, i64)]| rows.iter().map(|&(a, b)| vec![a, b]).collect();
    vec![
        (
            "subclass",
            pairs(&[
                (ORGANIZATION, THING),
                (UNIVERSITY, ORGANIZATION),
                (DEPARTMENT, ORGANIZATION),
                (RESEARCH_GROUP, ORGANIZATION),
                (PERSON, THING),
                (EMPLOYEE, PERSON),
                (FACULTY, EMPLOYEE),
                (PROFESSOR, FACULTY),
                (FULL_PROFESSOR, PROFESSOR),
                (ASSOCIATE_PROFESSOR, PROFESSOR),
                (ASSISTANT_PROFESSOR, PROFESSOR),
                (LECTURER, FACULTY),
                (CHAIR, PROFESSOR),
                (STUDENT, PERSON),
                (UNDERGRADUATE_STUDENT, STUDENT),
                (GRADUATE_STUDENT, STUDENT),
                (TEACHING_ASSISTANT, GRADUATE_STUDENT),
                (WORK, THING),
                (COURSE, WORK),
                (GRADUATE_COURSE, COURSE),
                (PUBLICATION, WORK),
            ]),
        ),
        (
            "subprop",
            pairs(&[
                (WORKS_FOR, MEMBER_OF),
                (HEAD_OF, WORKS_FOR),
                (UNDERGRADUATE_DEGREE_FROM, DEGREE_FROM),
                (MASTERS_DEGREE_FROM, DEGREE_FROM),
                (DOCTORAL_DEGREE_FROM, DEGREE_FROM),
            ]),
        ),
        (
            "dom",
            pairs(&[
                (MEMBER_OF, PERSON),
                (WORKS_FOR, EMPLOYEE),
                (HEAD_OF, CHAIR),
                (MEMBER, ORGANIZATION),
                (SUB_ORGANIZATION_OF, ORGANIZATION),
                (TAKES_COURSE, STUDENT),
                (TEACHER_OF, FACULTY),
                (ADVISOR, PERSON),
                (DEGREE_FROM, PERSON),
                (HAS_ALUMNUS, UNIVERSITY),
                (PUBLICATION_AUTHOR, PUBLICATION),
                (TEACHING_ASSISTANT_OF, TEACHING_ASSISTANT),
            ]),
        ),
        (
            "rng",
            pairs(&[
                (MEMBER_OF, ORGANIZATION),
                (WORKS_FOR, ORGANIZATION),
                (HEAD_OF, DEPARTMENT),
                (MEMBER, PERSON),
                (SUB_ORGANIZATION_OF, ORGANIZATION),
                (TAKES_COURSE, COURSE),
                (TEACHER_OF, COURSE),
                (ADVISOR, PROFESSOR),
                (DEGREE_FROM, UNIVERSITY),
                (HAS_ALUMNUS, PERSON),
                (PUBLICATION_AUTHOR, PERSON),
                (TEACHING_ASSISTANT_OF, COURSE),
            ]),
        ),
        (
            "inverse",
            pairs(&[
                (MEMBER_OF, MEMBER),
                (MEMBER, MEMBER_OF),
                (DEGREE_FROM, HAS_ALUMNUS),
                (HAS_ALUMNUS, DEGREE_FROM),
            ]),
        ),
        ("transitive", vec![vec![SUB_ORGANIZATION_OF]]),
    ]
}

/// Collects the instance data while the generator walks the universities.
struct Data<'r> {
    rng: &'r mut ChaCha8Rng,
    next_id: i64,
    triples: Vec<Vec<i64>>,
    asserted: Vec<Vec<i64>>,
}

impl Data<'_> {
    fn entity(&mut self, class: i64) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.asserted.push(vec![id, class]);
        id
    }

    fn triple(&mut self, s: i64, p: i64, o: i64) {
        self.triples.push(vec![s, p, o]);
    }

    fn between(&mut self, low: usize, high: usize) -> usize {
        self.rng.gen_range(low..=high)
    }

    fn any_university(&mut self) -> i64 {
        FIRST_UNIVERSITY + self.rng.gen_range(0..UNIVERSITY_POOL)
    }

    fn pick(&mut self, from: &[i64]) -> Option<i64> {
        if from.is_empty() {
            None
        } else {
            Some(from[self.rng.gen_range(0..from.len())])
        }
    }

    /// A distinct sample of up to `n` elements of `from`.
    fn sample(&mut self, from: &[i64], n: usize) -> Vec<i64> {
        rand::seq::index::sample(self.rng, from.len(), n.min(from.len()))
            .into_iter()
            .map(|i| from[i])
            .collect()
    }

    fn department(&mut self, university: i64) {
        use class::*;
        use prop::*;
        let dept = self.entity(DEPARTMENT);
        self.triple(dept, SUB_ORGANIZATION_OF, university);
        for _ in 0..self.between(10, 20) {
            let group = self.entity(RESEARCH_GROUP);
            self.triple(group, SUB_ORGANIZATION_OF, dept);
        }
        let mut professors = Vec::new();
        let mut faculty = Vec::new();
        for (class, low, high) in [
            (FULL_PROFESSOR, 7, 10),
            (ASSOCIATE_PROFESSOR, 10, 14),
            (ASSISTANT_PROFESSOR, 8, 11),
            (LECTURER, 5, 7),
        ] {
            for _ in 0..self.between(low, high) {
                let member = self.entity(class);
                self.triple(member, WORKS_FOR, dept);
                for degree in [
                    UNDERGRADUATE_DEGREE_FROM,
                    MASTERS_DEGREE_FROM,
                    DOCTORAL_DEGREE_FROM,
                ] {
                    let from = self.any_university();
                    self.triple(member, degree, from);
                }
                if class != LECTURER {
                    professors.push(member);
                }
                faculty.push(member);
            }
        }
        if let Some(&head) = professors.first() {
            self.triple(head, HEAD_OF, dept);
        }
        let mut courses = Vec::new();
        let mut graduate_courses = Vec::new();
        for &member in &faculty {
            for _ in 0..self.between(1, 2) {
                let course = self.entity(COURSE);
                self.triple(member, TEACHER_OF, course);
                courses.push(course);
            }
            for _ in 0..self.between(1, 2) {
                let course = self.entity(GRADUATE_COURSE);
                self.triple(member, TEACHER_OF, course);
                graduate_courses.push(course);
            }
            for _ in 0..self.between(1, 3) {
                let publication = self.entity(PUBLICATION);
                self.triple(publication, PUBLICATION_AUTHOR, member);
            }
        }
        for _ in 0..faculty.len() * self.between(8, 14) {
            let student = self.entity(UNDERGRADUATE_STUDENT);
            self.triple(student, MEMBER_OF, dept);
            let n = self.between(2, 4);
            for course in self.sample(&courses, n) {
                self.triple(student, TAKES_COURSE, course);
            }
            if self.rng.gen_range(0..5) == 0 {
                if let Some(advisor) = self.pick(&professors) {
                    self.triple(student, ADVISOR, advisor);
                }
            }
        }
        for _ in 0..faculty.len() * self.between(3, 4) {
            let student = self.entity(GRADUATE_STUDENT);
            self.triple(student, MEMBER_OF, dept);
            let n = self.between(1, 3);
            for course in self.sample(&graduate_courses, n) {
                self.triple(student, TAKES_COURSE, course);
            }
            if let Some(advisor) = self.pick(&professors) {
                self.triple(student, ADVISOR, advisor);
            }
            // A fifth took their first degree at their own university.
            let first = if self.rng.gen_range(0..5) == 0 {
                university
            } else {
                self.any_university()
            };
            self.triple(student, UNDERGRADUATE_DEGREE_FROM, first);
            if self.rng.gen_range(0..4) == 0 {
                if let Some(course) = self.pick(&courses) {
                    self.triple(student, TEACHING_ASSISTANT_OF, course);
                }
            }
        }
    }
}

/// The base facts of `universities` universities, in [`program`]'s base
/// predicate order.
pub fn facts(universities: usize, rng: &mut ChaCha8Rng) -> Vec<(&'static str, Vec<Vec<i64>>)> {
    let mut data = Data {
        rng,
        next_id: FIRST_ENTITY,
        triples: Vec::new(),
        asserted: Vec::new(),
    };
    for u in 0..universities.min(UNIVERSITY_POOL as usize) {
        let university = FIRST_UNIVERSITY + u as i64;
        data.asserted.push(vec![university, class::UNIVERSITY]);
        for _ in 0..data.between(15, 25) {
            data.department(university);
        }
    }
    let mut out = vec![("triple", data.triples), ("asserted", data.asserted)];
    out.extend(schema());
    out
}
