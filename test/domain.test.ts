import { fromMinorUnits, money, normalizeAmount, toMinorUnits } from '../src/domain/money';
import { SecretBox } from '../src/domain/sealed';

describe('money', () => {
  test('decimal strings to minor units and back, exactly', () => {
    expect(toMinorUnits('10.5')).toBe(1050);
    expect(toMinorUnits('4.17')).toBe(417);
    expect(toMinorUnits('0.1')).toBe(10);
    expect(toMinorUnits('7')).toBe(700);
    expect(fromMinorUnits(1050)).toBe('10.50');
    expect(fromMinorUnits(5)).toBe('0.05');
    expect(normalizeAmount('10.500')).toBe('10.50');
    expect(money('1.0', 'usd')).toEqual({ value: '1.00', currency: 'USD' });
  });

  test('no float sneaks in: 0.1 + 0.2 in cents is 0.30', () => {
    expect(fromMinorUnits(toMinorUnits('0.1') + toMinorUnits('0.2'))).toBe('0.30');
  });

  test('anything that is not an exact amount is refused', () => {
    for (const bad of ['', 'abc', '-1.00', '1.005', '1e3', '1,50']) expect(() => toMinorUnits(bad)).toThrow(RangeError);
    expect(() => fromMinorUnits(1.5)).toThrow(RangeError);
  });
});

describe('sealed secrets', () => {
  const box = new SecretBox(Buffer.alloc(32, 3).toString('base64'));

  test('seal hides the secret and opens back to it', () => {
    const sealed = box.seal('c7876f24c47c57150007868b095f06a8');
    expect(sealed).not.toContain('c7876f24');
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(box.open(sealed)).toBe('c7876f24c47c57150007868b095f06a8');
    expect(box.seal('same')).not.toBe(box.seal('same')); // fresh IV every time
  });

  test('a tampered value or another key does not open', () => {
    const sealed = box.seal('token');
    // Change the second-to-last character (all six of its bits are ciphertext) to another one, always.
    const tampered = sealed.slice(0, -2) + (sealed.at(-2) === 'A' ? 'B' : 'A') + sealed.slice(-1);
    expect(() => box.open(tampered)).toThrow();
    expect(() => new SecretBox(Buffer.alloc(32, 4).toString('base64')).open(sealed)).toThrow();
  });
});
