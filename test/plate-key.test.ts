import { createHash, randomBytes } from 'node:crypto';
import { normalisePlate, plateSearchKey } from '../src/domain/plate-key';
import { journeyMemo } from '../src/workflows/journey-memo';

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('the plate search key', () => {
  test('one plate however it is typed: case, dashes and spaces do not matter', () => {
    expect(normalisePlate(' cj-07 sax ')).toBe('CJ07SAX');
    const keys = ['CJ-07-SAX', 'cj07sax', 'Cj 07 Sax'].map((p) => plateSearchKey(p, KEY));
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
  });

  test('another plate, or the same plate under another service key, is another search key', () => {
    expect(plateSearchKey('CJ07SAY', KEY)).not.toBe(plateSearchKey('CJ07SAX', KEY));
    expect(plateSearchKey('CJ07SAX', randomBytes(32).toString('base64'))).not.toBe(plateSearchKey('CJ07SAX', KEY));
  });

  test('the key holds nothing of the plate: it is not a plain hash of it', () => {
    const key = plateSearchKey('B123XYZ', KEY);
    expect(key).not.toContain(Buffer.from('B123XYZ').toString('hex'));
    expect(createHash('sha256').update('B123XYZ').digest('hex')).not.toContain(key);
  });
});

describe('the journey memo', () => {
  test('summarises provider, state, plate, reference and the amounts as decimal strings', () => {
    const memo = journeyMemo({
      id: 'journey-dev-1',
      provider: 'parkingplus',
      state: 'paid',
      plate: 'B123XYZ',
      amount: { value: '5.00', currency: 'RON' },
      deadlines: {},
      payment: { paymentId: '7', method: 'parkingplus', redirectUrl: 'https://pay.example/7', status: 'captured' },
      upstream: { reference: 12, securedParkingId: 187 },
      timeline: [],
    });
    expect(memo).toEqual({ provider: 'parkingplus', state: 'paid', plate: 'B123XYZ', reference: '12', amountDue: '5.00', amountPaid: '5.00', currency: 'RON' });
  });

  test('leaves out what is not known yet', () => {
    const memo = journeyMemo({ id: 'journey-dev-2', provider: 'linkc', state: 'active', deadlines: {}, upstream: {}, timeline: [] });
    expect(memo).toEqual({ provider: 'linkc', state: 'active' });
  });
});
