import type { PassageEventPayload } from '@citywatch/protocol';
import { SeededRandom } from '../util/seeded-random';

export interface Vehicle {
  plateNo: string;
  plateColor: PassageEventPayload['plateColor'];
  vehicleClass: PassageEventPayload['vehicleClass'];
  vehicleColor: NonNullable<PassageEventPayload['vehicleColor']>;
  /** Relative frequency: commuters pass many times a day, visitors rarely. */
  weight: number;
  /** Drives a little faster than most. */
  speeder: boolean;
}

const PLATE_CHARS = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';
/** Heilongjiang cities: A Harbin, B Qiqihar, C Mudanjiang, D Jiamusi, E Daqing, F Yichun, G Jixi, H Hegang. */
const HEILONGJIANG_LETTERS = 'BCDEFGHJKLMN';
const OTHER_PROVINCES: readonly string[] = ['吉A', '吉B', '辽A', '辽B', '京A', '蒙A', '鲁B', '冀A', '粤B', '沪A'];

/**
 * The vehicles of the district: mostly Harbin plates (黑A), some from elsewhere in Heilongjiang and
 * beyond, new-energy green plates, yellow plates on buses and trucks. Weights follow a long tail so
 * the same commuters come back day after day. A few plates are on the hotlist.
 */
export class VehiclePopulation {
  readonly vehicles: Vehicle[] = [];
  readonly hotlist: Vehicle[] = [];
  private readonly cumulative: number[] = [];

  constructor(seed: number | string, size = 40_000, hotlistSize = 25) {
    const random = new SeededRandom(`vehicles:${seed}`);
    const plates = new Set<string>();
    while (this.vehicles.length < size) {
      const vehicle = makeVehicle(random, this.vehicles.length);
      if (plates.has(vehicle.plateNo)) continue;
      plates.add(vehicle.plateNo);
      this.vehicles.push(vehicle);
    }
    let total = 0;
    for (const vehicle of this.vehicles) {
      total += vehicle.weight;
      this.cumulative.push(total);
    }
    const hotlistPicks = new Set<number>();
    // Wanted vehicles are not the daily commuters: they come from the long tail of the population.
    while (hotlistPicks.size < hotlistSize) hotlistPicks.add(random.int(Math.floor(size / 4), size - 1));
    for (const index of hotlistPicks) this.hotlist.push(this.vehicles[index]);
  }

  /** A vehicle drawn by weight. */
  draw(random: SeededRandom): Vehicle {
    const target = random.next() * this.cumulative[this.cumulative.length - 1];
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.cumulative[middle] < target) low = middle + 1;
      else high = middle;
    }
    return this.vehicles[low];
  }
}

function makeVehicle(random: SeededRandom, rank: number): Vehicle {
  const roll = random.next();
  const province =
    roll < 0.78 ? '黑A' : roll < 0.9 ? `黑${random.pick([...HEILONGJIANG_LETTERS])}` : random.pick(OTHER_PROVINCES);
  const vehicleClass = random.weighted<Vehicle['vehicleClass']>([
    ['car', 55],
    ['suv', 25],
    ['mpv', 5],
    ['van', 5],
    ['truck', 5],
    ['bus', 2],
    ['motorcycle', 1],
    ['tricycle', 1],
    ['other', 1],
  ]);
  const newEnergy = (vehicleClass === 'car' || vehicleClass === 'suv') && random.chance(0.12);
  const large = vehicleClass === 'truck' || vehicleClass === 'bus';
  const tail = (length: number) => Array.from({ length }, () => random.pick([...PLATE_CHARS])).join('');
  const plateNo = newEnergy ? `${province}${random.pick(['D', 'F'])}${tail(5)}` : `${province}${tail(5)}`;
  return {
    plateNo,
    plateColor: newEnergy ? 'green' : large ? 'yellow' : 'blue',
    vehicleClass,
    vehicleColor: random.weighted<Vehicle['vehicleColor']>([
      ['white', 30],
      ['black', 22],
      ['silver', 15],
      ['grey', 12],
      ['red', 6],
      ['blue', 6],
      ['brown', 3],
      ['yellow', 2],
      ['green', 2],
      ['other', 2],
    ]),
    // Zipf-like: rank 0 is the most frequent commuter.
    weight: 1 / Math.pow(rank + 50, 0.9),
    speeder: random.chance(0.03),
  };
}
