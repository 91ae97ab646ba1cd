export { BankModule } from './bank.module';
export { bankContext } from './bank.context';
