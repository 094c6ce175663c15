// tests/web/localtime.test.mjs — web/lib/localtime.js against the rule of clock/timefmt.c,
// on the clock changes of 2027 (run by ctest as test_web_localtime, with node --test).
import assert from 'node:assert/strict';
import test from 'node:test';

import { hhmm, offsetName, zoneOffset } from '../../web/lib/localtime.js';

const at = (iso) => Date.parse(iso) / 1000;

test('offsets come from the tz database', () => {
	assert.equal(zoneOffset('Europe/Bucharest', at('2027-06-15T07:00:00Z')), 3 * 3600);
	assert.equal(zoneOffset('Europe/Bucharest', at('2027-01-15T07:00:00Z')), 2 * 3600);
	assert.equal(zoneOffset('Asia/Kolkata', at('2027-01-15T07:00:00Z')), 5.5 * 3600);
	assert.equal(zoneOffset('No/Such_Zone', at('2027-01-15T07:00:00Z')), null);
});

test('offset names', () => {
	assert.equal(offsetName(0), 'UTC');
	assert.equal(offsetName(3 * 3600), 'UTC+3');
	assert.equal(offsetName(-(3 * 3600 + 1800)), 'UTC-3:30');
});

test('a time shown once has no offset', () => {
	assert.equal(hhmm('Europe/Bucharest', at('2027-06-15T07:05:00Z')), '10:05');
	// the spring change: 03:00 becomes 04:00 on 28 March, nothing is shown twice
	assert.equal(hhmm('Europe/Bucharest', at('2027-03-28T00:30:00Z')), '02:30');
	assert.equal(hhmm('Europe/Bucharest', at('2027-03-28T01:00:00Z')), '04:00');
});

test('a time shown twice says which', () => {
	// 31 October 2027 in Bucharest: 04:00 EEST becomes 03:00 EET; 03:30 comes twice
	assert.equal(hhmm('Europe/Bucharest', at('2027-10-31T00:30:00Z')), '03:30 UTC+3');
	assert.equal(hhmm('Europe/Bucharest', at('2027-10-31T01:30:00Z')), '03:30 UTC+2');
	assert.equal(hhmm('Europe/Bucharest', at('2027-10-31T02:30:00Z')), '04:30');
	// 7 November 2027 in New York: 01:30 comes twice
	assert.equal(hhmm('America/New_York', at('2027-11-07T05:30:00Z')), '01:30 UTC-4');
	assert.equal(hhmm('America/New_York', at('2027-11-07T06:30:00Z')), '01:30 UTC-5');
	// Lord Howe goes back half an hour
	assert.equal(hhmm('Australia/Lord_Howe', at('2027-04-03T14:45:00Z')), '01:45 UTC+11');
});

test('a zone the browser does not know: its own time, no offset', () => {
	assert.match(hhmm('No/Such_Zone', at('2027-06-15T07:05:00Z')), /^\d\d:\d\d$/);
});
