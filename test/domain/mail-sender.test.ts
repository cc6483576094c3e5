import assert from 'node:assert/strict';
import { allowedSourceOf, passedAuthentication, schoolForMail } from '../../src/domain/mail-sender';
import type { School } from '../../src/domain/school';
import { otherSchool, testSchool } from '../support/fixtures';

// Every address here is invented.
const allowedSenders = [
  { address: 'signalen@veiligthuis-regio.example', source: 'veilig-thuis' as const },
  { domain: 'politie-regio.example', source: 'police' as const },
];
const ownBox: School = {
  ...testSchool,
  mail: { mailbox: 'hwc@testlab.example', allowedSenders, receipts: false },
};
const boardA: School = {
  ...testSchool,
  id: 'board-a',
  mail: {
    mailbox: 'hwc@bestuur.example',
    recipient: 'a.hwc@bestuur.example',
    allowedSenders,
    receipts: false,
  },
};
const boardB: School = {
  ...otherSchool,
  id: 'board-b',
  mail: {
    mailbox: 'hwc@bestuur.example',
    recipient: 'b.hwc@bestuur.example',
    allowedSenders,
    receipts: false,
  },
};
const schools = [ownBox, boardA, boardB];

/** As Exchange Online stamps it on receipt (the values are invented). */
function stamped(results: string): string {
  return `spf=pass (sender IP is 192.0.2.10) smtp.mailfrom=politie-regio.example; ${results}`;
}

describe('mail for the Handle with Care mailbox', () => {
  describe('which school it is for', () => {
    it('is the school whose alias in a board-wide mailbox it was sent to, in any case', () => {
      assert.equal(schoolForMail(schools, 'HWC@bestuur.example', ['B.hwc@Bestuur.example'])?.id, 'board-b');
      assert.equal(schoolForMail(schools, 'hwc@bestuur.example', ['a.hwc@bestuur.example'])?.id, 'board-a');
    });

    it("is the mailbox's only school, also for mail that reached it as Bcc or through a list", () => {
      assert.equal(
        schoolForMail(schools, 'hwc@testlab.example', ['team@testlab.example'])?.id,
        testSchool.id,
      );
    });

    it('is nobody for mail to two schools at once, or to no school of a board-wide mailbox', () => {
      assert.equal(
        schoolForMail(schools, 'hwc@bestuur.example', ['a.hwc@bestuur.example', 'b.hwc@bestuur.example']),
        undefined,
      );
      assert.equal(schoolForMail(schools, 'hwc@bestuur.example', ['hwc@bestuur.example']), undefined);
      assert.equal(schoolForMail(schools, 'other@elsewhere.example', ['hwc@testlab.example']), undefined);
    });
  });

  describe('who may send it', () => {
    it('takes an allowed address, and any address of an allowed domain, with their source', () => {
      assert.equal(allowedSourceOf(ownBox, 'Signalen@VeiligThuis-regio.example'), 'veilig-thuis');
      assert.equal(allowedSourceOf(ownBox, 'wijkagent.noord@politie-regio.example'), 'police');
    });

    it("takes nobody else: another address of an allowed address's domain, a subdomain, a look-alike", () => {
      assert.equal(allowedSourceOf(ownBox, 'iemand@veiligthuis-regio.example'), undefined);
      assert.equal(allowedSourceOf(ownBox, 'x@mail.politie-regio.example'), undefined);
      assert.equal(allowedSourceOf(ownBox, 'x@politie-regio.example.evil.example'), undefined);
      assert.equal(allowedSourceOf(ownBox, 'no-address'), undefined);
      assert.equal(
        allowedSourceOf(testSchool, 'x@politie-regio.example'),
        undefined,
        'a school without mail',
      );
    });
  });

  describe('whether it is authentic', () => {
    const from = 'wijkagent.noord@politie-regio.example';

    it('passes with DMARC passed for the From domain', () => {
      assert.equal(
        passedAuthentication(
          stamped(
            'dkim=pass header.d=politie-regio.example; dmarc=pass action=none header.from=politie-regio.example',
          ),
          from,
        ),
        true,
      );
    });

    it("passes with Microsoft's composite authentication passed", () => {
      assert.equal(
        passedAuthentication(
          stamped('dmarc=none header.from=politie-regio.example; compauth=pass reason=109'),
          from,
        ),
        true,
      );
    });

    it('fails with DMARC failed, DMARC passed for another domain, or no header at all', () => {
      assert.equal(
        passedAuthentication(
          stamped('dmarc=fail action=quarantine header.from=politie-regio.example; compauth=fail reason=000'),
          from,
        ),
        false,
      );
      assert.equal(
        passedAuthentication(stamped('dmarc=pass action=none header.from=other.example'), from),
        false,
      );
      assert.equal(passedAuthentication(undefined, from), false);
      assert.equal(passedAuthentication('', from), false);
    });

    it('reads only the topmost header, the one Exchange Online added: a forged one below it counts for nothing', () => {
      const forgedBelow = [
        stamped('dmarc=fail action=quarantine header.from=politie-regio.example; compauth=fail reason=000'),
        'mx.evil.example; dmarc=pass header.from=politie-regio.example; compauth=pass',
      ].join('\n');
      assert.equal(passedAuthentication(forgedBelow, from), false);
    });

    it('is not fooled by a pass inside a comment', () => {
      assert.equal(
        passedAuthentication(
          stamped(
            'dmarc=fail (dmarc=pass header.from=politie-regio.example) header.from=politie-regio.example',
          ),
          from,
        ),
        false,
      );
    });
  });
});
