"""Classwork: where library lessons meet the journal: assignments done pupil-paced and
marks from scores on a course's own scale."""
